// The control-plane components kubesmith runs on each control-plane host, in start order: the API
// server first, since the other two work through it.
import type { ControlPlaneComponent } from './component.ts';
import { kubeApiServer } from './kube-apiserver.ts';
import { kubeControllerManager } from './kube-controller-manager.ts';
import { kubeScheduler } from './kube-scheduler.ts';

export const controlPlaneComponents: readonly ControlPlaneComponent[] = [kubeApiServer, kubeControllerManager, kubeScheduler];

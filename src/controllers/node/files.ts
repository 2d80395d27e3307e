// Every file of a node but its certificates, from the plan: containerd's configuration and mirrors,
// the kubelet's and kube-proxy's configurations, and the three units. Pure, so tests compare them
// and a second reconcile writes nothing.
import type { FileSpec } from '../../host/index.ts';
import { CONTAINERD_BINARY, CONTAINERD_UNIT, containerdUnit } from './containerd-unit.ts';
import { containerdConfig, registryHostsFiles } from './containerd.ts';
import { KUBE_PROXY_BINARY, KUBE_PROXY_UNIT, kubeProxyConfig, kubeProxyUnit } from './kube-proxy.ts';
import { KUBELET_BINARY, KUBELET_UNIT, kubeletConfig, kubeletUnit } from './kubelet.ts';
import { NODE_PATHS } from './paths.ts';
import type { NodePlan } from './plan.ts';

export const NODE_UNITS = ['containerd', 'kubelet', 'kube-proxy'] as const;
export type NodeUnit = (typeof NODE_UNITS)[number];
export const NODE_UNIT_PATHS = [CONTAINERD_UNIT, KUBELET_UNIT, KUBE_PROXY_UNIT];

/** The files each unit reads at start: one newer than its process means a restart. */
export const UNIT_INPUTS: Record<NodeUnit, readonly string[]> = {
  containerd: [CONTAINERD_UNIT, CONTAINERD_BINARY, NODE_PATHS.containerdConfig],
  kubelet: [KUBELET_UNIT, KUBELET_BINARY, NODE_PATHS.kubeletConfig, NODE_PATHS.kubeletKubeconfig, NODE_PATHS.kubeletServerCert, NODE_PATHS.clusterCA],
  'kube-proxy': [KUBE_PROXY_UNIT, KUBE_PROXY_BINARY, NODE_PATHS.kubeProxyConfig, NODE_PATHS.kubeProxyKubeconfig],
};

/** Root only, as the CIS benchmark asks of the kubelet's unit (4.1.1) and its config file (4.1.9). */
export const KUBELET_FILE_MODE = 0o600;

export function nodeFiles(plan: NodePlan, resolvConf: string): FileSpec[] {
  return [
    { path: NODE_PATHS.containerdConfig, mode: 0o644, content: containerdConfig({ ...plan }) },
    ...registryHostsFiles(plan.registryMirrors),
    { path: CONTAINERD_UNIT, mode: 0o644, content: containerdUnit() },
    { path: NODE_PATHS.kubeletConfig, mode: KUBELET_FILE_MODE, content: kubeletConfig(plan, resolvConf) },
    { path: KUBELET_UNIT, mode: KUBELET_FILE_MODE, content: kubeletUnit(plan) },
    { path: NODE_PATHS.kubeProxyConfig, mode: 0o644, content: kubeProxyConfig(plan) },
    { path: KUBE_PROXY_UNIT, mode: 0o644, content: kubeProxyUnit() },
  ];
}

// What every NetworkAddon phase works with.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ControlPlane, MachineHost, NetworkAddon, NetworkAddonStatus, WorkerPool } from '../../api/index.ts';
import type { HostChange, HostSession, SshPool, UnreachableHosts } from '../../host/index.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { ClusterContext } from '../cluster-context.ts';
import type { Member } from '../control-plane/members.ts';
import type { Notice } from '../control-plane/scope.ts';

export interface NetworkAddonDeps {
  client: KubeClient;
  networkAddons: Informer<NetworkAddon>;
  controlPlanes: Informer<ControlPlane>;
  workerPools: Informer<WorkerPool>;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  pool: SshPool;
  events: EventRecorder;
  recheckIntervalMs: number;
  retryMs: number;
}

export interface NetworkAddonScope {
  deps: NetworkAddonDeps;
  addon: NetworkAddon;
  log: Logger;
  signal: AbortSignal;
  onHost<T>(member: Member, work: (session: HostSession) => Promise<T>): Promise<T>;
  /** Hosts this reconcile could not connect to: later work and tunnels fail on them at once. */
  unreachable: UnreachableHosts;
  status: NetworkAddonStatus;
  changes: (HostChange & { member: string })[];
  notices: Notice[];
  /** ControlPlaneAvailable: the cluster whose pod network this is. */
  cluster?: ClusterContext;
}

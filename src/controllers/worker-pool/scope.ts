// What every WorkerPool phase works with; like the ControlPlane's scope, each phase fills the fields
// named for it.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ControlPlane, MachineHost, WorkerPool, WorkerPoolStatus } from '../../api/index.ts';
import type { ArtifactCache } from '../../artifacts/index.ts';
import type { HostChange, HostSession, SshPool, UnreachableHosts } from '../../host/index.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { ClusterContext } from '../cluster-context.ts';
import type { Notice } from '../control-plane/scope.ts';
import type { Member } from '../control-plane/members.ts';

export interface WorkerPoolDeps {
  client: KubeClient;
  workerPools: Informer<WorkerPool>;
  controlPlanes: Informer<ControlPlane>;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  pool: SshPool;
  artifacts: ArtifactCache;
  events: EventRecorder;
  recheckIntervalMs: number;
  retryMs: number;
  /** From a Node's cordon on, how long PodDisruptionBudgets may hold its drain before a person is asked. */
  drainTimeoutMs: number;
  /**
   * By WorkerPool and MachineHost uid, the digests of the node binaries pushed to a member while its
   * ControlPlane came up: pushed once, not read back (every file hashed) on each reconcile of the wait.
   */
  staged: Map<string, string>;
}

export interface WorkerPoolScope {
  deps: WorkerPoolDeps;
  wp: WorkerPool;
  log: Logger;
  signal: AbortSignal;
  onHost<T>(member: Member, work: (session: HostSession) => Promise<T>): Promise<T>;
  /** Hosts this reconcile could not connect to: later work and tunnels fail on them at once. */
  unreachable: UnreachableHosts;
  status: WorkerPoolStatus;
  changes: (HostChange & { member: string })[];
  notices: Notice[];
  /** HostsClaimed: the hosts that are, or become, this pool's Nodes. */
  members: Member[];
  /** HostsClaimed: hosts held beyond spec.replicas, to be drained and given back. */
  surplus: Member[];
  /** ControlPlaneAvailable: the cluster the Nodes join. */
  cluster?: ClusterContext;
}

// What every ControlPlane phase works with. The deps are fixed for the controller's life; the rest is
// made fresh for each reconcile. Each phase fills the fields named for it, and later phases read
// them only when the runner let them run, that is when the phase that fills them is True.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ControlPlane, ControlPlaneStatus, MachineHost, NetworkAddon } from '../../api/index.ts';
import type { ArtifactCache } from '../../artifacts/index.ts';
import type { HostChange, SshPool, UnreachableHosts } from '../../host/index.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { ClusterMaterial } from './cluster-secrets.ts';
import type { Notice, OnHost } from '../host-work.ts';

export type { Notice };
import type { Member } from './members.ts';

export interface ControlPlaneDeps {
  client: KubeClient;
  controlPlanes: Informer<ControlPlane>;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  /** CoreDNS waits for a pod network: whether one is on its way decides how closely it watches. */
  networkAddons: Informer<NetworkAddon>;
  pool: SshPool;
  artifacts: ArtifactCache;
  events: EventRecorder;
  /** How often a converged control plane is checked again. */
  recheckIntervalMs: number;
  /** How soon a waiting or failing one is tried again. */
  retryMs: number;
}

export interface Endpoint {
  host: string;
  port: number;
}


export interface ControlPlaneScope {
  deps: ControlPlaneDeps;
  cp: ControlPlane;
  log: Logger;
  signal: AbortSignal;
  /** Work on one member's host, its changes recorded, stopped once the signal aborts. */
  onHost: OnHost;
  /** Hosts this reconcile could not connect to: later phases, tunnels and teardowns fail on them at once. */
  unreachable: UnreachableHosts;
  /** Status fields, starting from the last status so that a phase that does not run keeps its own. */
  status: ControlPlaneStatus;
  changes: (HostChange & { member: string })[];
  notices: Notice[];
  /** HostsClaimed: the members in order, the first being the one the endpoint defaults to. */
  members: Member[];
  /** HostsClaimed: members beyond spec.replicas, to leave etcd and be given back. */
  surplus: Member[];
  /** HostsClaimed: where clients reach the API server, chosen once and kept in status. */
  endpoint: Endpoint;
  /** EtcdClusterHealthy: surplus members taken out of etcd, whose hosts are torn down and given back. */
  retiring: Member[];
  /** Set by a teardown that could not reach a host: what was left on it, for the host's CleanupPending. */
  cleanupPending?: string;
  /** CertificatesReady: the cluster's CAs and service-account key. */
  material?: ClusterMaterial;
}

// What a WorkerPool or NetworkAddon needs of the cluster it works on: its ControlPlane, once that
// is Available, with the CA and endpoint the nodes trust, and the operator's client for the cluster
// API, tunnelled over SSH through the control-plane hosts (only port 22 must be reachable).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ControlPlane, MachineHost } from '../api/index.ts';
import { KubesmithError } from '../errors.ts';
import type { SshPool } from '../host/index.ts';
import { findCondition } from '../runtime/conditions.ts';
import type { Informer } from '../runtime/informer.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { parseEndpoint } from './control-plane/claim-phase.ts';
import { ownsHost } from './control-plane/claim.ts';
import type { WorkloadApi } from '../workload/api.ts';
import { clusterApi, type ReconcileWork } from './control-plane/cluster-access.ts';
import { ensureClusterMaterial, type ClusterMaterial } from './control-plane/cluster-secrets.ts';
import { memberOf, type Member } from './control-plane/members.ts';
import type { Endpoint } from './control-plane/scope.ts';

export interface ClusterDeps {
  client: KubeClient;
  controlPlanes: Informer<ControlPlane>;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  pool: SshPool;
}

export interface ClusterContext {
  cp: ControlPlane;
  material: ClusterMaterial;
  endpoint: Endpoint;
  /** The control plane's members, whose hosts the API tunnel goes through. */
  controlPlaneMembers: Member[];
  api: WorkloadApi;
}

/** The ControlPlane is missing or not serving yet. */
export class ControlPlaneNotAvailableError extends KubesmithError {
  readonly reason = 'ControlPlaneNotAvailable';
}

export async function clusterContext(deps: ClusterDeps, namespace: string, name: string, work: ReconcileWork): Promise<ClusterContext> {
  const cp = deps.controlPlanes.get(`${namespace}/${name}`);
  if (!cp) throw new ControlPlaneNotAvailableError(`ControlPlane ${namespace}/${name} does not exist; create it or fix spec.controlPlaneRef`);
  const available = findCondition(cp.status?.conditions, 'Available');
  const endpoint = parseEndpoint(cp.status?.endpoint);
  if (available?.status !== 'True' || !endpoint) {
    throw new ControlPlaneNotAvailableError(`ControlPlane ${name} is not Available yet (${available?.reason ?? 'no status'}: ${available?.message ?? 'not reconciled yet'})`);
  }
  const members = deps.hosts
    .list()
    .filter((h) => h.metadata.namespace === namespace && ownsHost(cp, h))
    .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
    .map(memberOf);
  const material = await ensureClusterMaterial(deps.client, cp);
  const api = clusterApi(deps, { cp, material, endpoint, members }, work);
  return { cp, material, endpoint, controlPlaneMembers: members, api };
}

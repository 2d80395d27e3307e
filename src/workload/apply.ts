// Objects kubesmith installs into the clusters it builds (CoreDNS, flannel), sent with server-side
// apply under one field manager: what kubesmith sets is put back, what others add is kept, and the
// API server decides what changed. Each object is read first, so a reconcile that changes nothing
// says so (same resourceVersion) and records no Event.
import type { KubernetesObject } from '@kubernetes/client-node';
import { APPLY_PATCH } from '../runtime/kube-client.ts';
import type { WorkloadApi } from './api.ts';

export const FIELD_MANAGER = 'kubesmith';

/** An object of a kind this table knows, with its name (and namespace when the kind has one). */
export interface Manifest extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

const PLURALS: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
};

/** The API path of one object. */
export function manifestPath(object: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>): string {
  const kind = PLURALS[`${object.apiVersion}/${object.kind}`];
  if (!kind) throw new Error(`no API path known for ${object.apiVersion} ${object.kind}`);
  const group = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = kind.namespaced ? `/namespaces/${encodeURIComponent(object.metadata.namespace ?? 'default')}` : '';
  return `${group}${namespace}/${kind.plural}/${encodeURIComponent(object.metadata.name)}`;
}

function describeManifest(object: Pick<Manifest, 'kind' | 'metadata'>): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** Applies the objects in order; returns those created or changed, as "Kind namespace/name". */
export async function applyManifests(api: WorkloadApi, objects: readonly Manifest[]): Promise<string[]> {
  const changed: string[] = [];
  for (const object of objects) {
    const path = manifestPath(object);
    const before = await api.get<KubernetesObject>(path);
    const after = await api.json<KubernetesObject>('PATCH', `${path}?fieldManager=${FIELD_MANAGER}&force=true`, object, APPLY_PATCH);
    if (before?.metadata?.resourceVersion !== after.metadata?.resourceVersion) changed.push(describeManifest(object));
  }
  return changed;
}

/** Deletes the objects in reverse order, dependants going with them; returns those that were there. */
export async function deleteManifests(api: WorkloadApi, objects: readonly Manifest[]): Promise<string[]> {
  const deleted: string[] = [];
  for (const object of [...objects].reverse()) {
    if (await api.delete(manifestPath(object), { propagationPolicy: 'Background' })) deleted.push(describeManifest(object));
  }
  return deleted;
}

// One status write per reconcile, as a server-side apply on the status subresource with the
// controller as field manager: it owns exactly the conditions and fields it sets, leaves those of
// other managers alone, never touches spec, and writes nothing when nothing changed.
import type { KubernetesObject } from '@kubernetes/client-node';
import { APPLY_PATCH, type KubeClient } from './kube-client.ts';
import { apiVersionOf, resourcePath, type Resource } from './resources.ts';

export async function applyStatus<T extends KubernetesObject>(
  client: KubeClient,
  resource: Resource,
  object: KubernetesObject,
  status: Record<string, unknown>,
  fieldManager: string,
): Promise<T> {
  const { name, namespace } = object.metadata ?? {};
  const body = {
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
    metadata: { name, namespace },
    status,
  };
  return client.patch<T>(resourcePath(resource, namespace, name, 'status'), body, APPLY_PATCH, {
    fieldManager,
    force: true,
  });
}

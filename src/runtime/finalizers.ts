// Finalizers are changed with JSON patches whose `test` operations make the change conditional on
// what was read, so two writers never lose each other's finalizers; a failed test is a 422 and the
// caller retries from fresh state.
import type { KubernetesObject } from '@kubernetes/client-node';
import { JSON_PATCH, type KubeClient } from './kube-client.ts';
import { resourcePath, type Resource } from './resources.ts';

function path(resource: Resource, object: KubernetesObject): string {
  return resourcePath(resource, object.metadata?.namespace, object.metadata?.name);
}

export function hasFinalizer(object: KubernetesObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) ?? false;
}

export async function addFinalizer<T extends KubernetesObject>(
  client: KubeClient,
  resource: Resource,
  object: T,
  finalizer: string,
): Promise<T> {
  if (hasFinalizer(object, finalizer)) return object;
  const current = object.metadata?.finalizers;
  const ops = current
    ? [
        { op: 'test', path: '/metadata/resourceVersion', value: object.metadata?.resourceVersion },
        { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
      ]
    : [
        { op: 'test', path: '/metadata/resourceVersion', value: object.metadata?.resourceVersion },
        { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
      ];
  return client.patch<T>(path(resource, object), ops, JSON_PATCH);
}

export async function removeFinalizer<T extends KubernetesObject>(
  client: KubeClient,
  resource: Resource,
  object: T,
  finalizer: string,
): Promise<T> {
  const index = object.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (index < 0) return object;
  const ops = [
    { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
  return client.patch<T>(path(resource, object), ops, JSON_PATCH);
}

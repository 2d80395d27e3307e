// Claiming MachineHosts. A claim is `status.consumerRef` on the MachineHost, written by a
// server-side apply whose field manager is unique to the claiming ControlPlane or WorkerPool and is
// not forced: if another owner's manager already holds the field, the API server answers 409 and
// the host stays theirs, even when this controller's cache had not seen their claim yet.
import type { MachineHost } from '../api/index.ts';
import { rfc3339 } from '../runtime/conditions.ts';
import { APPLY_PATCH, isConflict, type KubeClient } from '../runtime/kube-client.ts';
import { apiVersionOf, resourcePath } from '../runtime/resources.ts';
import { machineHostResource } from './resources.ts';

export interface Consumer {
  kind: 'ControlPlane' | 'WorkerPool';
  name: string;
}

export function holds(consumer: Consumer, host: MachineHost): boolean {
  const ref = host.status?.consumerRef;
  return ref?.kind === consumer.kind && ref.name === consumer.name;
}

export function claimFieldManager(consumer: Consumer): string {
  return `kubesmith-${consumer.kind.toLowerCase()}-${consumer.name}`.slice(0, 128);
}

function applyStatusAs(client: KubeClient, consumer: Consumer, host: MachineHost, status: object, force: boolean) {
  const body = {
    apiVersion: apiVersionOf(machineHostResource),
    kind: 'MachineHost',
    metadata: { name: host.metadata.name, namespace: host.metadata.namespace },
    status,
  };
  const path = resourcePath(machineHostResource, host.metadata.namespace, host.metadata.name, 'status');
  return client.patch<MachineHost>(path, body, APPLY_PATCH, { fieldManager: claimFieldManager(consumer), force });
}

/** Claims the host; false when another owner got there first. */
export async function claimFor(client: KubeClient, consumer: Consumer, host: MachineHost): Promise<boolean> {
  try {
    const updated = await applyStatusAs(client, consumer, host, { consumerRef: { kind: consumer.kind, name: consumer.name } }, false);
    return holds(consumer, updated);
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

export const CLEANUP_PENDING = 'CleanupPending';

/**
 * Gives the host back: applying a status without consumerRef drops the fields this consumer's
 * manager owned. When what the cluster left on the host could not be removed (the host did not
 * answer), a CleanupPending condition owned by the same manager stays on the host to say so.
 */
export async function releaseFrom(client: KubeClient, consumer: Consumer, host: MachineHost, cleanupPending?: string): Promise<void> {
  const conditions = cleanupPending
    ? [{ type: CLEANUP_PENDING, status: 'True', reason: 'HostUnreachable', message: cleanupPending, lastTransitionTime: rfc3339(new Date()) }]
    : undefined;
  await applyStatusAs(client, consumer, host, conditions ? { conditions } : {}, true);
}

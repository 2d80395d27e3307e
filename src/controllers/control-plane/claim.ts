// Claiming MachineHosts for a ControlPlane. A claim is `status.consumerRef` on the MachineHost,
// written by a server-side apply whose field manager is unique to the claiming ControlPlane and is
// not forced: if another owner's manager already holds the field, the API server answers 409 and
// the host stays theirs, even when this controller's cache had not seen their claim yet.
import type { ControlPlane, MachineHost } from '../../api/index.ts';
import { findCondition, rfc3339 } from '../../runtime/conditions.ts';
import { APPLY_PATCH, isConflict, type KubeClient } from '../../runtime/kube-client.ts';
import { apiVersionOf, resourcePath } from '../../runtime/resources.ts';
import { matchesSelector } from '../label-selector.ts';
import { machineHostResource } from '../resources.ts';

export interface ClaimPlan {
  /** Hosts this ControlPlane holds, or will once the claims are written, in member order. */
  members: MachineHost[];
  /** Of those, the ones not claimed yet. */
  toClaim: MachineHost[];
  /** How many more Ready matching hosts are needed; 0 when there are enough. */
  missing: number;
  /** Hosts held beyond spec.replicas, last by name first: to leave the cluster and be given back. */
  surplus: MachineHost[];
}

export function ownsHost(cp: ControlPlane, host: MachineHost): boolean {
  const ref = host.status?.consumerRef;
  return ref?.kind === 'ControlPlane' && ref.name === cp.metadata.name;
}

function claimable(cp: ControlPlane, host: MachineHost): boolean {
  return (
    !host.status?.consumerRef &&
    !host.metadata.deletionTimestamp &&
    findCondition(host.status?.conditions, 'Ready')?.status === 'True' &&
    matchesSelector(cp.spec.hostSelector, host.metadata.labels)
  );
}

const byName = (a: MachineHost, b: MachineHost) => a.metadata.name!.localeCompare(b.metadata.name!);

export interface ClaimOptions {
  /** Whether a free host's facts let it become a member; one that does not is never claimed. */
  qualifies?: (host: MachineHost) => boolean;
  /** A held host to keep first in member order (the one the endpoint was chosen on), never surplus. */
  first?: string;
}

/**
 * Hosts already held come first, then free Ready matching hosts that qualify, by name. Nothing new
 * is claimed until there are enough: two control planes waiting on the same pool never each hold
 * part of it. Holding more than spec.replicas, the hosts last by name are the surplus.
 */
export function planClaims(cp: ControlPlane, hosts: readonly MachineHost[], options: ClaimOptions = {}): ClaimPlan {
  const inNamespace = hosts.filter((h) => h.metadata.namespace === cp.metadata.namespace);
  const firstOf = (list: MachineHost[]) => {
    const i = list.findIndex((h) => h.metadata.name === options.first);
    return i <= 0 ? list : [list[i]!, ...list.slice(0, i), ...list.slice(i + 1)];
  };
  const held = firstOf(inNamespace.filter((h) => ownsHost(cp, h)).sort(byName));
  const wanted = cp.spec.replicas;
  if (held.length >= wanted) return { members: held.slice(0, wanted), toClaim: [], missing: 0, surplus: held.slice(wanted).reverse() };
  const qualifies = options.qualifies ?? (() => true);
  const free = inNamespace.filter((h) => claimable(cp, h) && qualifies(h)).sort(byName);
  const missing = Math.max(0, wanted - held.length - free.length);
  if (missing > 0) return { members: held, toClaim: [], missing, surplus: [] };
  const toClaim = free.slice(0, Math.max(0, wanted - held.length));
  return { members: firstOf([...held, ...toClaim].sort(byName)), toClaim, missing: 0, surplus: [] };
}

/** Free Ready hosts that match the selector but cannot be members, for the message that says why. */
export function unqualified(cp: ControlPlane, hosts: readonly MachineHost[], qualifies: (host: MachineHost) => boolean): MachineHost[] {
  return hosts.filter((h) => h.metadata.namespace === cp.metadata.namespace && claimable(cp, h) && !qualifies(h));
}

export function claimFieldManager(cp: ControlPlane): string {
  return `kubesmith-controlplane-${cp.metadata.name}`.slice(0, 128);
}

function applyStatusAs(client: KubeClient, cp: ControlPlane, host: MachineHost, status: object, force: boolean) {
  const body = {
    apiVersion: apiVersionOf(machineHostResource),
    kind: 'MachineHost',
    metadata: { name: host.metadata.name, namespace: host.metadata.namespace },
    status,
  };
  const path = resourcePath(machineHostResource, host.metadata.namespace, host.metadata.name, 'status');
  return client.patch<MachineHost>(path, body, APPLY_PATCH, { fieldManager: claimFieldManager(cp), force });
}

/** Claims the host; false when another owner got there first. */
export async function claimHost(client: KubeClient, cp: ControlPlane, host: MachineHost): Promise<boolean> {
  try {
    const updated = await applyStatusAs(client, cp, host, { consumerRef: { kind: 'ControlPlane', name: cp.metadata.name } }, false);
    return ownsHost(cp, updated);
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

export const CLEANUP_PENDING = 'CleanupPending';

/**
 * Gives the host back: applying a status without consumerRef drops the fields this ControlPlane's
 * manager owned. When what the cluster left on the host could not be removed (the host did not
 * answer), a CleanupPending condition owned by the same manager stays on the host to say so.
 */
export async function releaseHost(client: KubeClient, cp: ControlPlane, host: MachineHost, cleanupPending?: string): Promise<void> {
  const conditions = cleanupPending
    ? [{ type: CLEANUP_PENDING, status: 'True', reason: 'HostUnreachable', message: cleanupPending, lastTransitionTime: rfc3339(new Date()) }]
    : undefined;
  await applyStatusAs(client, cp, host, conditions ? { conditions } : {}, true);
}

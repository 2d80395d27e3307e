// Which MachineHosts a ControlPlane claims, and in what order; the claim itself is host-claims.ts's.
import type { ControlPlane, MachineHost } from '../../api/index.ts';
import { findCondition } from '../../runtime/conditions.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { claimFor, holds, releaseFrom, type Consumer } from '../host-claims.ts';
import { matchesSelector } from '../label-selector.ts';

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

const consumer = (cp: ControlPlane): Consumer => ({ kind: 'ControlPlane', name: cp.metadata.name! });

export function ownsHost(cp: ControlPlane, host: MachineHost): boolean {
  return holds(consumer(cp), host);
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

/** Claims the host; false when another owner got there first. */
export function claimHost(client: KubeClient, cp: ControlPlane, host: MachineHost): Promise<boolean> {
  return claimFor(client, consumer(cp), host);
}

/** Gives the host back, with CleanupPending when what the cluster left on it could not be removed. */
export function releaseHost(client: KubeClient, cp: ControlPlane, host: MachineHost, cleanupPending?: string): Promise<void> {
  return releaseFrom(client, consumer(cp), host, cleanupPending);
}

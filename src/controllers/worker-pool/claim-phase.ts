// HostsClaimed: the pool holds spec.replicas Ready MachineHosts matching its selector, or every free
// one when replicas is absent. Unlike a control plane, a pool takes what there is: two workers of
// three are worth running while the third host is missing, and the condition says what is missing.
import type { MachineHost } from '../../api/index.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { heldMember, memberOf, MemberFactsError } from '../control-plane/members.ts';
import { claimFor, holds, type Consumer } from '../host-claims.ts';
import { matchesSelector } from '../label-selector.ts';
import type { Phase } from '../phases.ts';
import type { WorkerPoolScope } from './scope.ts';

export function poolConsumer(scope: Pick<WorkerPoolScope, 'wp'>): Consumer {
  return { kind: 'WorkerPool', name: scope.wp.metadata.name! };
}

function qualifies(host: MachineHost): boolean {
  try {
    memberOf(host);
    return true;
  } catch (error) {
    if (error instanceof MemberFactsError) return false;
    throw error;
  }
}

const byName = (a: MachineHost, b: MachineHost) => a.metadata.name!.localeCompare(b.metadata.name!);

export const claimPhase: Phase<WorkerPoolScope> = {
  condition: 'HostsClaimed',
  needs: [],
  does: 'MachineHosts are claimed',
  async run(scope) {
    const { wp, deps } = scope;
    const consumer = poolConsumer(scope);
    const inNamespace = deps.hosts.list().filter((h) => h.metadata.namespace === wp.metadata.namespace);
    const held = inNamespace.filter((h) => holds(consumer, h)).sort(byName);
    const wanted = wp.spec.replicas ?? Infinity;
    const free = inNamespace
      .filter(
        (h) =>
          !h.status?.consumerRef &&
          !h.metadata.deletionTimestamp &&
          findCondition(h.status?.conditions, 'Ready')?.status === 'True' &&
          matchesSelector(wp.spec.hostSelector, h.metadata.labels) &&
          qualifies(h),
      )
      .sort(byName);
    const claimed: MachineHost[] = [];
    for (const host of free.slice(0, Math.max(0, wanted - held.length))) {
      if (await claimFor(deps.client, consumer, host)) claimed.push(host);
    }
    const all = [...held, ...claimed].sort(byName);
    const keep = Number.isFinite(wanted) ? all.slice(0, wanted) : all;
    scope.members = keep.filter(qualifies).map(memberOf);
    scope.surplus = all.slice(keep.length).reverse().map(heldMember);
    scope.status.replicas = all.length;
    const names = scope.members.map((m) => m.name).join(', ') || 'none';
    const leaving = scope.surplus.length > 0 ? `; draining and giving back ${scope.surplus.map((m) => m.name).join(', ')}` : '';
    if (Number.isFinite(wanted) && keep.length < wanted) {
      const missing = wanted - keep.length;
      return {
        status: 'False',
        reason: 'WaitingForHosts',
        message: `holds ${names}; ${missing} more Ready MachineHost${missing === 1 ? '' : 's'} matching spec.hostSelector and claimed by nobody else needed`,
      };
    }
    return { status: 'True', reason: 'HostsClaimed', message: `claimed ${names}${leaving}` };
  },
};

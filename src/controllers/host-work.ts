// What a reconcile does on hosts and says about it, the same for every controller that works on
// claimed hosts: each host's work runs in the shared SSH pool with the changes it made recorded and
// stopped once the reconcile's signal aborts; a host it could not connect to is not tried again
// before the next reconcile; the changes and the notices become Events at the end.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { HostChange, HostSession, SshPool, UnreachableHosts } from '../host/index.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Resource } from '../runtime/resources.ts';
import type { Member } from './control-plane/members.ts';
import { target, type TargetDeps } from './machine-host/reconciler.ts';

/** Something a phase did that deserves an Event on its object. */
export interface Notice {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type OnHost = <T>(member: Member, work: (session: HostSession) => Promise<T>) => Promise<T>;

export interface HostWork {
  onHost: OnHost;
  /** Hosts this reconcile could not connect to; its tunnels to the cluster API skip them too. */
  unreachable: UnreachableHosts;
  changes: (HostChange & { member: string })[];
  notices: Notice[];
}

export function hostWork(deps: TargetDeps & { pool: SshPool }, signal: AbortSignal): HostWork {
  const record: HostWork = {
    onHost: (member, work) =>
      deps.pool.withHost(target(deps, member.host), work, {
        observer: (change) => record.changes.push({ ...change, member: member.name }),
        signal,
        unreachable: record.unreachable,
      }),
    unreachable: new Map(),
    changes: [],
    notices: [],
  };
  return record;
}

/** The notices, then every host change (a failed one as a Warning), as Events on the object. */
export async function recordEvents(events: EventRecorder, object: KubernetesObject, resource: Resource, work: Pick<HostWork, 'changes' | 'notices'>): Promise<void> {
  for (const notice of work.notices) await events.record(object, resource, notice.type, notice.reason, 'Converge', notice.message);
  for (const change of work.changes) {
    await events.record(object, resource, change.exitCode === 0 ? 'Normal' : 'Warning', 'HostChanged', 'Converge', `${change.member}: ${change.description}`);
  }
}

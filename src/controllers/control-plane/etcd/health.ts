// Health of each member, checked on its own host through SSH, and the member list for the status.
// Every voter in etcd's own list counts, not only claimed hosts: a member whose MachineHost is gone
// is reported, and so is a claimed host that answers for another cluster.
import type { ControlPlaneStatus } from '../../../api/index.ts';
import { errorMessage } from '../../../errors.ts';
import type { OnHost } from './membership.ts';
import { describeEntry, entryFor, orphansOf, trustedClusterId } from './membership.ts';
import { endpointHealthCommand, memberListCommand, parseClusterId, parseEndpointHealth, parseMemberList, type EtcdMemberInfo } from './etcdctl.ts';
import type { Member } from '../members.ts';

export type EtcdMemberStatus = NonNullable<ControlPlaneStatus['etcdMembers']>[number];

export interface EtcdHealth {
  members: EtcdMemberStatus[];
  /** Claimed hosts that are healthy voting members of the cluster. */
  healthyVoters: Member[];
  /** One line per claimed host that is not a healthy voting member, and per member no host accounts for. */
  problems: string[];
  /** Whether any member answered at all. */
  answered: boolean;
  /** The cluster the trusted members belong to. */
  clusterId?: string;
}

interface HostCheck {
  member: Member;
  healthy: boolean;
  error?: string;
  list?: EtcdMemberInfo[];
  clusterId?: string;
}

async function check(onHost: OnHost, member: Member): Promise<HostCheck> {
  try {
    return await onHost(member, async (s) => {
      const health = await s.exec(endpointHealthCommand, { timeoutMs: 30_000 });
      const parsed = parseEndpointHealth(health.stdout, health.stderr);
      if (!parsed.healthy) return { member, healthy: false, ...(parsed.error ? { error: parsed.error } : {}) };
      const list = await s.exec(memberListCommand, { timeoutMs: 30_000 });
      const clusterId = list.exitCode === 0 ? parseClusterId(list.stdout) : undefined;
      return { member, healthy: true, ...(clusterId ? { list: parseMemberList(list.stdout), clusterId } : {}) };
    });
  } catch (error) {
    return { member, healthy: false, error: errorMessage(error) };
  }
}

/**
 * `members` are the claimed hosts; `leaving` are surplus hosts still on their way out, which are
 * neither checked nor reported as unknown.
 */
export async function checkEtcdHealth(
  onHost: OnHost,
  members: readonly Member[],
  options: { leaving?: readonly Member[]; recordedId?: string } = {},
): Promise<EtcdHealth> {
  const checks = await Promise.all(members.map((m) => check(onHost, m)));
  const clusterId = trustedClusterId(checks.map((c) => c.clusterId), options.recordedId);
  const list = checks.find((c) => c.list && c.clusterId === clusterId)?.list ?? [];
  const byMember = new Map(checks.map((c) => [c.member.name, c]));
  const statuses: EtcdMemberStatus[] = list.map((entry) => {
    const member = members.find((m) => entryFor([entry], m));
    const status: EtcdMemberStatus = {
      name: entry.name || '(not started)',
      host: member?.name ?? '',
      healthy: member ? (byMember.get(member.name)?.healthy ?? false) : false,
      learner: entry.learner,
    };
    if (entry.peerURLs[0]) status.peerURL = entry.peerURLs[0];
    return status;
  });
  const healthyVoters: Member[] = [];
  const problems: string[] = [];
  for (const c of checks) {
    const entry = entryFor(list, c.member);
    if (c.clusterId && c.clusterId !== clusterId) problems.push(`${c.member.name} answers for another etcd cluster (${c.clusterId}, not ${clusterId})`);
    else if (!entry && list.length > 0) problems.push(`${c.member.name} is not a member`);
    else if (entry?.learner) problems.push(`${c.member.name} is a learner not yet promoted`);
    else if (!c.healthy) problems.push(`${c.member.name} is unhealthy: ${c.error ?? 'no answer'}`);
    else healthyVoters.push(c.member);
  }
  for (const entry of orphansOf(list, [...members, ...(options.leaving ?? [])])) {
    problems.push(`${describeEntry(entry)} belongs to no claimed MachineHost`);
  }
  return { members: statuses, healthyVoters, problems, answered: list.length > 0, ...(clusterId ? { clusterId } : {}) };
}

// Health of each member, checked on its own host through SSH, and the member list for the status.
import type { ControlPlaneStatus } from '../../api/index.ts';
import type { OnHost } from './etcd-cluster.ts';
import { entryFor } from './etcd-cluster.ts';
import { endpointHealthCommand, memberListCommand, parseEndpointHealth, parseMemberList, type EtcdMemberInfo } from './etcdctl.ts';
import type { Member } from './members.ts';

export type EtcdMemberStatus = NonNullable<ControlPlaneStatus['etcdMembers']>[number];

export interface EtcdHealth {
  members: EtcdMemberStatus[];
  /** Claimed hosts that are healthy voting members. */
  healthyVoters: Member[];
  /** One line per claimed host that is not a healthy voting member. */
  problems: string[];
  /** Whether any member answered at all. */
  answered: boolean;
}

interface HostCheck {
  member: Member;
  healthy: boolean;
  error?: string;
  list?: EtcdMemberInfo[];
}

async function check(onHost: OnHost, member: Member): Promise<HostCheck> {
  try {
    return await onHost(member, async (s) => {
      const health = await s.exec(endpointHealthCommand, { timeoutMs: 30_000 });
      const parsed = parseEndpointHealth(health.stdout, health.stderr);
      if (!parsed.healthy) return { member, healthy: false, ...(parsed.error ? { error: parsed.error } : {}) };
      const list = await s.exec(memberListCommand, { timeoutMs: 30_000 });
      return { member, healthy: true, ...(list.exitCode === 0 ? { list: parseMemberList(list.stdout) } : {}) };
    });
  } catch (error) {
    return { member, healthy: false, error: (error as Error).message };
  }
}

export async function checkEtcdHealth(onHost: OnHost, members: readonly Member[]): Promise<EtcdHealth> {
  const checks = await Promise.all(members.map((m) => check(onHost, m)));
  const list = checks.find((c) => c.list)?.list ?? [];
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
    if (!entry && list.length > 0) problems.push(`${c.member.name} is not a member`);
    else if (entry?.learner) problems.push(`${c.member.name} is a learner not yet promoted`);
    else if (!c.healthy) problems.push(`${c.member.name} is unhealthy: ${c.error ?? 'no answer'}`);
    else healthyVoters.push(c.member);
  }
  return { members: statuses, healthyVoters, problems, answered: list.length > 0 };
}

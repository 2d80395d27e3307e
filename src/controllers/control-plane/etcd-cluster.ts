// Membership of the etcd cluster, reconciled against the claimed hosts: the first member starts the
// cluster alone; every other host joins as a learner (added through a running member, then started)
// and is promoted to voter once it has caught up with the leader. One member joins at a time, as
// etcd allows only one learner at once by default and a new voter changes the quorum.
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandFailedError, type HostSession } from '../../host/index.ts';
import { peerURL } from './etcd-unit.ts';
import { startNewMember, type EtcdHostState } from './etcd-host.ts';
import {
  endpointHealthCommand,
  memberAddCommand,
  memberListCommand,
  memberPromoteCommand,
  parseInitialCluster,
  parseEndpointHealth,
  parseMemberList,
  type EtcdMemberInfo,
} from './etcdctl.ts';
import type { Member } from './members.ts';
import { KubesmithError } from '../../errors.ts';

export type OnHost = <T>(member: Member, work: (session: HostSession) => Promise<T>) => Promise<T>;

/** The cluster cannot be worked on as things are: a person has to look. */
export class EtcdMembershipError extends KubesmithError {
  readonly reason: string;
  override readonly needsPerson: boolean;
  constructor(reason: string, message: string, needsPerson = false) {
    super(message);
    this.reason = reason;
    this.needsPerson = needsPerson;
  }
}

const PROMOTE_TIMEOUT_MS = 90_000;
const ANSWER_TIMEOUT_MS = 60_000;

export function entryFor(list: readonly EtcdMemberInfo[], member: Member): EtcdMemberInfo | undefined {
  return list.find((e) => e.name === member.hostname) ?? list.find((e) => e.peerURLs.includes(peerURL(member.ip)));
}

async function listFrom(onHost: OnHost, member: Member): Promise<EtcdMemberInfo[] | undefined> {
  const result = await onHost(member, (s) => s.exec(memberListCommand, { timeoutMs: 30_000 }));
  return result.exitCode === 0 ? parseMemberList(result.stdout) : undefined;
}

/** The member list as the first running member that answers sees it, with that member. */
export async function findCluster(onHost: OnHost, running: readonly Member[]): Promise<{ list: EtcdMemberInfo[]; anchor: Member } | undefined> {
  for (const member of running) {
    const list = await listFrom(onHost, member);
    if (list) return { list, anchor: member };
  }
  return undefined;
}

async function promote(onHost: OnHost, anchor: Member, joiner: Member, id: string): Promise<void> {
  const deadline = Date.now() + PROMOTE_TIMEOUT_MS;
  for (;;) {
    // Attempts that etcd turns away change nothing, so only the one that succeeds is recorded.
    const result = await onHost(anchor, async (s) => {
      const attempt = await s.exec(memberPromoteCommand(id), { timeoutMs: 30_000 });
      if (attempt.exitCode === 0) {
        s.recordChange(`promoted etcd learner ${joiner.hostname} to voting member`, attempt.command, 0, attempt.durationMs);
      }
      return attempt;
    });
    if (result.exitCode === 0) return;
    // etcd refuses to promote a learner that has not started or has not caught up yet; both pass.
    const waiting = /not in sync|not started|can only promote a learner member which is in sync/i.test(result.stderr);
    if (!waiting || Date.now() > deadline) {
      throw new CommandFailedError(anchor.name, 'etcdctl member promote', result.exitCode, result.stderr.trim().slice(-400));
    }
    await sleep(1_000);
  }
}

/**
 * A new voter counts towards the quorum at once; the next change waits until it answers, so that a
 * slow one does not leave the cluster short of a quorum for the next member add.
 */
export async function waitUntilHealthy(onHost: OnHost, member: Member, after: string): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const result = await onHost(member, (s) => s.exec(endpointHealthCommand, { timeoutMs: 30_000 }));
    const health = parseEndpointHealth(result.stdout, result.stderr);
    if (health.healthy) return;
    if (Date.now() > deadline) {
      throw new EtcdMembershipError('EtcdMemberUnhealthy', `${member.name} does not answer after ${after}: ${health.error ?? 'no answer'}`);
    }
    await sleep(500);
  }
}

/**
 * etcd refuses a member add until the member asked has been connected to a quorum for five seconds
 * (its strict reconfiguration check), which a voter promoted just before does not meet yet.
 */
async function addLearner(onHost: OnHost, anchor: Member, member: Member): Promise<{ stdout: string }> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const result = await onHost(anchor, async (s) => {
      const attempt = await s.exec(memberAddCommand(member.hostname, peerURL(member.ip)), { timeoutMs: 30_000 });
      if (attempt.exitCode === 0) s.recordChange(`added ${member.hostname} to etcd as a learner`, attempt.command, 0, attempt.durationMs);
      return attempt;
    });
    if (result.exitCode === 0) return result;
    if (!/unhealthy cluster/.test(result.stderr) || Date.now() > deadline) {
      throw new CommandFailedError(anchor.name, `etcdctl member add ${member.hostname}`, result.exitCode, result.stderr.trim().slice(-400));
    }
    await sleep(1_000);
  }
}

async function join(onHost: OnHost, anchor: Member, member: Member, list: EtcdMemberInfo[]): Promise<void> {
  let entry = entryFor(list, member);
  if (!entry) {
    // etcd takes one learner at a time; a learner left from elsewhere blocks every add, so say which.
    const pending = list.filter((e) => e.learner);
    if (pending.length > 0) {
      const names = pending.map((e) => `${e.name || '(not started)'} ${e.id} at ${e.peerURLs.join(',')}`).join('; ');
      throw new EtcdMembershipError(
        'EtcdLearnerPending',
        `cannot add ${member.hostname}: etcd already has learner ${names}, which is not a claimed host; ` +
          'remove it with `etcdctl member remove <id>` on a member, or claim its host',
      );
    }
    const added = await addLearner(onHost, anchor, member);
    const id = /Member ([0-9a-f]+) added/.exec(added.stdout)?.[1];
    if (!id) throw new EtcdMembershipError('EtcdMemberAddFailed', `etcdctl member add printed no member ID: ${added.stdout.slice(0, 200)}`);
    const initial = parseInitialCluster(added.stdout);
    await onHost(member, (s) => startNewMember(s, initial, 'existing', false));
    entry = { id, name: '', peerURLs: [peerURL(member.ip)], clientURLs: [], learner: true };
  } else if (entry.name === '') {
    // Added by an earlier reconcile that stopped before the member started.
    const initial = [
      ...list.filter((e) => e.name !== '').map((e) => ({ name: e.name, peerURL: e.peerURLs[0]! })),
      { name: member.hostname, peerURL: peerURL(member.ip) },
    ];
    await onHost(member, (s) => startNewMember(s, initial, 'existing', false));
  }
  if (entry.learner) await promote(onHost, anchor, member, entry.id);
  await waitUntilHealthy(onHost, member, 'joining');
}

async function waitForAnswer(onHost: OnHost, running: readonly Member[]) {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const cluster = await findCluster(onHost, running);
    if (cluster || Date.now() > deadline) return cluster;
    await sleep(1_000);
  }
}

/** Brings every claimed host into the cluster as a voting member. */
export async function reconcileMembership(
  onHost: OnHost,
  members: readonly Member[],
  states: ReadonlyMap<string, EtcdHostState>,
  dataDir: string,
): Promise<void> {
  const running = members.filter((m) => states.get(m.name)?.active);
  let cluster = running.length > 0 ? await waitForAnswer(onHost, running) : undefined;
  if (!cluster) {
    if (running.length > 0 || members.some((m) => states.get(m.name)?.hasData)) {
      throw new EtcdMembershipError(
        'EtcdUnavailable',
        `etcd runs on ${running.map((m) => m.name).join(', ') || 'no host'} but no member answers; check \`journalctl -u etcd\` on those hosts`,
      );
    }
    const first = members[0]!;
    await onHost(first, (s) => startNewMember(s, [{ name: first.hostname, peerURL: peerURL(first.ip) }], 'new', true));
    cluster = await waitForAnswer(onHost, [first]);
    if (!cluster) throw new EtcdMembershipError('EtcdUnavailable', `etcd on ${first.name} started but does not answer; check \`journalctl -u etcd\` there`);
  }
  const { anchor } = cluster;
  let list = cluster.list;
  for (const member of members) {
    const entry = entryFor(list, member);
    if (entry && entry.name !== '' && !entry.learner) continue;
    if (!entry && states.get(member.name)?.hasData) {
      throw new EtcdMembershipError(
        'StaleEtcdData',
        `${member.name} has etcd data of a member the cluster does not have; kubesmith does not delete data: ` +
          `move ${dataDir} aside on that host to let it join afresh`,
      );
    }
    await join(onHost, anchor, member, list);
    list = (await listFrom(onHost, anchor)) ?? list;
  }
}

// Membership of the etcd cluster, reconciled against the claimed hosts: the first member starts the
// cluster alone; every other host joins as a learner (added through a running member, then started)
// and is promoted to voter once it has caught up with the leader. One member joins at a time, as
// etcd allows only one learner at once by default and a new voter changes the quorum.
//
// Nothing here may split the cluster: a member is trusted only if it reports the cluster ID most
// members (or the recorded one) report; a member that lost its data is removed and joins afresh as a
// learner instead of bootstrapping alone; a member is removed only while the rest keep a quorum.
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandFailedError } from '../../../host/index.ts';
import type { OnHost } from '../../host-work.ts';
import { peerURL } from './unit.ts';
import { startNewMember, startStoppedMember, stopMember, type EtcdHostState } from './host.ts';
import {
  endpointHealthCommand,
  memberAddCommand,
  memberListCommand,
  memberPromoteCommand,
  memberRemoveCommand,
  parseAddedMemberId,
  parseClusterId,
  parseInitialCluster,
  parseEndpointHealth,
  parseMemberList,
  type EtcdMemberInfo,
} from './etcdctl.ts';
import { settleAll } from '../../settle.ts';
import { checkEtcdHealth } from './health.ts';
import type { Member } from '../members.ts';
import { KubesmithError } from '../../../errors.ts';

export type { OnHost };

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
/** How soon a refused promote or add is tried again: etcd usually allows it within a second. */
const RETRY_MS = 250;
const ANSWER_TIMEOUT_MS = 60_000;

export function entryFor(list: readonly EtcdMemberInfo[], member: Member): EtcdMemberInfo | undefined {
  return list.find((e) => e.name === member.hostname) ?? list.find((e) => e.peerURLs.includes(peerURL(member.ip)));
}

/** The cluster as its trusted members see it: the member list, who answered it, and the cluster ID. */
export interface EtcdView {
  list: EtcdMemberInfo[];
  anchor: Member;
  clusterId: string;
}

export interface Survey {
  view?: EtcdView;
  /** Members that answered for another cluster: reported, never used. */
  foreign: { member: Member; clusterId: string }[];
}

async function listFrom(onHost: OnHost, member: Member): Promise<{ list: EtcdMemberInfo[]; clusterId: string } | undefined> {
  const result = await onHost(member, (s) => s.exec(memberListCommand, { timeoutMs: 30_000 })).catch(() => undefined);
  const clusterId = result?.exitCode === 0 ? parseClusterId(result.stdout) : undefined;
  return result && clusterId ? { list: parseMemberList(result.stdout), clusterId } : undefined;
}

/**
 * The cluster to trust among the IDs members report: the one recorded before when any member
 * still reports it, else the one most members report (ties go to the earlier member, the
 * endpoint's first). Undefined when nobody answered.
 */
export function trustedClusterId(reported: readonly (string | undefined)[], recordedId: string | undefined): string | undefined {
  const counts = new Map<string, number>();
  for (const id of reported) if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (recordedId && counts.has(recordedId)) return recordedId;
  return [...counts].reduce<[string, number] | undefined>((best, next) => (!best || next[1] > best[1] ? next : best), undefined)?.[0];
}

/** Asks every running member, in parallel, for the member list, and sorts them by cluster. */
export async function surveyCluster(onHost: OnHost, running: readonly Member[], recordedId?: string): Promise<Survey> {
  const answers = await Promise.all(running.map((m) => listFrom(onHost, m)));
  const clusterId = trustedClusterId(answers.map((a) => a?.clusterId), recordedId);
  if (clusterId === undefined) return { foreign: [] };
  const foreign: Survey['foreign'] = [];
  let view: EtcdView | undefined;
  for (const [i, answer] of answers.entries()) {
    if (!answer) continue;
    if (answer.clusterId !== clusterId) foreign.push({ member: running[i]!, clusterId: answer.clusterId });
    else view ??= { list: answer.list, anchor: running[i]!, clusterId };
  }
  return { view, foreign };
}

export class ForeignMemberError extends EtcdMembershipError {
  constructor(foreign: Survey['foreign'], clusterId: string) {
    const names = foreign.map((f) => `${f.member.name} (cluster ${f.clusterId})`).join(', ');
    super(
      'ForeignEtcdMember',
      `${names} answer${foreign.length === 1 ? 's' : ''} for another etcd cluster than ${clusterId}, so kubesmith neither uses nor changes ` +
        'them; set spec.paused to true, stop etcd there and move its data directory aside, then set spec.paused back to false, ' +
        'and the host joins this cluster afresh',
      true,
    );
  }
}

/** Voters needed for a quorum among `voters`. */
export function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Removes a member through the anchor, but only if the voters left keep a quorum among those that
 * are healthy (`healthyLeft`, the healthy voters other than the one removed).
 */
export async function removeMember(onHost: OnHost, view: EtcdView, entry: EtcdMemberInfo, healthyLeft: number, what: string): Promise<void> {
  const voters = view.list.filter((e) => !e.learner).length;
  const votersAfter = entry.learner ? voters : voters - 1;
  // A learner does not vote: taking it out never costs the quorum.
  if (!entry.learner && healthyLeft < quorumOf(votersAfter)) {
    throw new EtcdMembershipError(
      'WaitingForQuorum',
      `${what} stays in etcd for now: without it ${votersAfter} voters would need ${quorumOf(votersAfter)} healthy for a quorum, and ${healthyLeft} are; ` +
        'it is removed once the others are healthy',
    );
  }
  await onHost(view.anchor, (s) => s.check(memberRemoveCommand(entry.id), { changes: `removed ${what} from etcd` }));
  view.list = view.list.filter((e) => e.id !== entry.id);
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
    await sleep(RETRY_MS);
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
    await sleep(RETRY_MS);
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
    const id = parseAddedMemberId(added.stdout);
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

async function waitForAnswer(onHost: OnHost, running: readonly Member[], recordedId: string | undefined): Promise<Survey> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const survey = await surveyCluster(onHost, running, recordedId);
    if (survey.view || survey.foreign.length > 0 || Date.now() > deadline) return survey;
    await sleep(1_000);
  }
}

async function healthyVotersAmong(onHost: OnHost, members: readonly Member[]): Promise<number> {
  return (await checkEtcdHealth(onHost, members)).healthyVoters.length;
}

/** Entries no claimed or surplus host accounts for: their MachineHost is gone, or was never ours. */
export function orphansOf(list: readonly EtcdMemberInfo[], hosts: readonly Member[]): EtcdMemberInfo[] {
  return list.filter((entry) => !hosts.some((m) => entryFor([entry], m)));
}

export function describeEntry(entry: EtcdMemberInfo): string {
  return `etcd member ${entry.name || '(not started)'} ${entry.id} at ${entry.peerURLs.join(',')}`;
}

export interface MembershipInput {
  members: readonly Member[];
  /** Hosts on their way out, handled by the scale-down: not orphans. */
  surplus: readonly Member[];
  states: ReadonlyMap<string, EtcdHostState>;
  dataDir: string;
  /** The cluster ID recorded once the cluster formed, if any. */
  recordedId: string | undefined;
  /**
   * Told of each repair a person should hear of as soon as it is done, so that it is reported even
   * when a later step of the same reconcile fails.
   */
  notify: (message: string) => void;
}

export interface MembershipResult {
  clusterId: string;
  /** Members started by this reconcile, which may still hold their bootstrap settings. */
  started: Member[];
}

/**
 * A member whose host lost its data directory (the list knows it, the host has no data): it is
 * stopped and removed while the others keep a quorum, then joins afresh as a learner. Restarted
 * as it was, it would either fail for ever or, for the first member, bootstrap a second cluster.
 */
async function forgetLostMember(onHost: OnHost, view: EtcdView, member: Member, entry: EtcdMemberInfo, others: readonly Member[]): Promise<void> {
  await onHost(member, (s) => stopMember(s));
  await removeMember(onHost, view, entry, await healthyVotersAmong(onHost, others), `${member.hostname}, whose data directory is gone,`);
}

/** Brings every claimed host into the cluster as a voting member and takes out members nobody claims. */
export async function reconcileMembership(onHost: OnHost, input: MembershipInput): Promise<MembershipResult> {
  const { members, states, dataDir, notify } = input;
  const stopped = members.filter((m) => states.get(m.name)?.hasData && !states.get(m.name)?.active);
  let running = members.filter((m) => states.get(m.name)?.active);
  const result: MembershipResult = { clusterId: '', started: [] };
  if (running.length === 0 && stopped.length > 0) {
    // The whole cluster is down (a power cut, say): its members start again with their data, and
    // without first-start settings none of them can form a cluster of its own.
    await settleAll(stopped.map((m) => onHost(m, (s) => startStoppedMember(s))));
    running = stopped;
  }
  let survey = running.length > 0 ? await waitForAnswer(onHost, running, input.recordedId) : { foreign: [] };
  if (survey.foreign.length > 0) throw new ForeignMemberError(survey.foreign, survey.view?.clusterId ?? input.recordedId ?? 'the recorded one');
  if (survey.view) {
    // A stopped member the cluster knows catches up once running; one it does not know stays stopped.
    const known = stopped.filter((m) => !running.includes(m) && entryFor(survey.view!.list, m)?.name);
    await settleAll(known.map((m) => onHost(m, (s) => startStoppedMember(s))));
  }
  if (!survey.view) {
    if (running.length > 0 || members.some((m) => states.get(m.name)?.hasData) || input.recordedId) {
      throw new EtcdMembershipError(
        'EtcdUnavailable',
        `etcd runs on ${running.map((m) => m.name).join(', ') || 'no host'} but no member answers; check \`journalctl -u etcd\` on those hosts`,
      );
    }
    const first = members[0]!;
    await onHost(first, (s) => startNewMember(s, [{ name: first.hostname, peerURL: peerURL(first.ip) }], 'new', true));
    result.started.push(first);
    survey = await waitForAnswer(onHost, [first], undefined);
    if (!survey.view) throw new EtcdMembershipError('EtcdUnavailable', `etcd on ${first.name} started but does not answer; check \`journalctl -u etcd\` there`);
  }
  const view = survey.view;
  result.clusterId = view.clusterId;
  const known = [...members, ...input.surplus];
  // A learner nobody claims blocks every add (etcd takes one learner at a time) and counts for no quorum.
  for (const entry of orphansOf(view.list, known).filter((e) => e.learner)) {
    await removeMember(onHost, view, entry, 0, describeEntry(entry));
    notify(`removed ${describeEntry(entry)}, which no claimed MachineHost accounts for`);
  }
  for (const member of members) {
    const entry = entryFor(view.list, member);
    const state = states.get(member.name);
    const startedNow = result.started.includes(member);
    if (entry && entry.name !== '' && !state?.hasData && !startedNow) {
      await forgetLostMember(onHost, view, member, entry, members.filter((m) => m !== member));
      notify(`${member.name} lost its etcd data directory: removed its old member, and it joins afresh as a learner`);
    } else if (entry && entry.name !== '' && !entry.learner) {
      continue;
    } else if (!entry && state?.hasData) {
      throw new EtcdMembershipError(
        'StaleEtcdData',
        `${member.name} has etcd data of a member the cluster does not have; kubesmith does not delete data: ` +
          `move ${dataDir} aside on that host to let it join afresh`,
        true,
      );
    }
    await join(onHost, view.anchor, member, view.list);
    result.started.push(member);
    view.list = (await listFrom(onHost, view.anchor))?.list ?? view.list;
  }
  for (const entry of orphansOf(view.list, known)) {
    await removeMember(onHost, view, entry, await healthyVotersAmong(onHost, members), describeEntry(entry));
    notify(`removed ${describeEntry(entry)}, which no claimed MachineHost accounts for`);
  }
  return result;
}

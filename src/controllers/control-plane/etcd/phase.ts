// EtcdClusterHealthy: the verified release pushed to every member host, data directory and unit in
// place, surplus members out, membership reconciled, changed units rolled one member at a time, and
// health checked on each host against etcd's own member list.
import type { ControlPlane } from '../../../api/index.ts';
import { etcdRelease, type Artifact, type ArtifactCache } from '../../../artifacts/index.ts';
import type { Phase, PhaseOutcome } from '../../phases.ts';
import { settleAll } from '../../settle.ts';
import { EtcdMembershipError, reconcileMembership, waitUntilHealthy, type OnHost } from './membership.ts';
import { checkEtcdHealth } from './health.ts';
import { dropBootstrapEnv, prepareEtcdHost, type EtcdHostState } from './host.ts';
import { removeSurplus, retireEtcd } from './scale-down.ts';
import { etcdFlags, type EtcdMemberPlan } from './unit.ts';
import { etcdVersionFor } from './version.ts';
import type { Member } from '../members.ts';
import type { ControlPlaneScope } from '../scope.ts';

export function memberPlan(cp: ControlPlane, member: Member): EtcdMemberPlan {
  return {
    name: member.hostname,
    ip: member.ip,
    dataDir: cp.spec.etcd.dataDir,
    clusterToken: `${cp.metadata.namespace}-${cp.metadata.name}`,
    ...(cp.spec.etcd.extraArgs ? { extraArgs: cp.spec.etcd.extraArgs } : {}),
  };
}

/** The release for each architecture among the members, downloaded and verified once. */
async function artifactsFor(cp: ControlPlane, members: readonly Member[], cache: ArtifactCache): Promise<Map<string, Artifact>> {
  const version = etcdVersionFor(cp.spec.version);
  const arches = [...new Set(members.map((m) => m.arch))];
  const artifacts = await Promise.all(
    arches.map((arch) => cache.get(etcdRelease(cp.spec.artifacts.baseURL, version, arch), cp.spec.artifacts.checksumPolicy)),
  );
  return new Map(arches.map((arch, i) => [arch, artifacts[i]!]));
}

/**
 * One member at a time, and only while every other member is healthy: taking a member down while
 * another is already out could cost the quorum.
 */
async function rollRestarts(onHost: OnHost, members: readonly Member[], states: ReadonlyMap<string, EtcdHostState>, recordedId: string | undefined): Promise<void> {
  for (const member of members.filter((m) => states.get(m.name)?.restart)) {
    const others = members.filter((m) => m !== member);
    const health = await checkEtcdHealth(onHost, others, { recordedId });
    if (health.healthyVoters.length < others.length) {
      throw new EtcdMembershipError(
        'WaitingForHealthyMembers',
        `${member.name} waits to restart etcd for its changed unit until every other member is healthy: ${health.problems.join('; ')}`,
      );
    }
    await onHost(member, (s) => s.check('systemctl daemon-reload && systemctl restart etcd', { changes: 'restarted etcd for its changed unit', timeoutMs: 120_000 }));
    await waitUntilHealthy(onHost, member, 'its restart');
  }
}

async function converge(scope: ControlPlaneScope): Promise<void> {
  const { cp, members, onHost } = scope;
  const recordedId = scope.status.etcdClusterID;
  // Refused before anything is installed: a bad flag, an unknown version, an unverified artifact.
  for (const member of members) etcdFlags(memberPlan(cp, member));
  const artifacts = await artifactsFor(cp, members, scope.deps.artifacts);
  if (scope.surplus.length > 0) {
    await removeSurplus(onHost, members, scope.surplus, recordedId);
    scope.retiring = [...scope.surplus];
  }
  const prepared = await settleAll(
    members.map(async (member): Promise<[string, EtcdHostState]> => [
      member.name,
      await onHost(member, (s) => prepareEtcdHost(s, memberPlan(cp, member), artifacts.get(member.arch)!)),
    ]),
  );
  const states = new Map(prepared);
  // Membership first: it refuses to go on past a member of another cluster, which no restart may touch.
  const membership = await reconcileMembership(onHost, {
    members,
    surplus: scope.surplus,
    states,
    dataDir: cp.spec.etcd.dataDir,
    recordedId,
    notify: (message) => scope.notices.push({ type: 'Warning', reason: 'EtcdMembershipRepaired', message }),
  });
  scope.status.etcdClusterID = membership.clusterId;
  await rollRestarts(onHost, members, states, membership.clusterId);
  const joined = new Set([...members.filter((m) => states.get(m.name)?.bootstrapEnv), ...membership.started]);
  await settleAll([...joined].map((member) => onHost(member, (s) => dropBootstrapEnv(s))));
}

export const etcdPhase: Phase<ControlPlaneScope> = {
  condition: 'EtcdClusterHealthy',
  needs: ['CertificatesReady'],
  does: 'etcd is installed',
  async run(scope): Promise<PhaseOutcome> {
    await converge(scope);
    const { members } = scope;
    const health = await checkEtcdHealth(scope.onHost, members, { recordedId: scope.status.etcdClusterID });
    scope.status.etcdMembers = health.members;
    const healthy = health.healthyVoters.length;
    if (health.problems.length > 0) {
      const message = `${healthy} of ${members.length} members healthy; ${health.problems.join('; ')}`;
      return { status: 'False', reason: 'MembersUnhealthy', message };
    }
    return { status: 'True', reason: 'Healthy', message: `${healthy} of ${members.length} members healthy` };
  },
  async teardown(scope) {
    await settleAll(scope.members.map((member) => scope.onHost(member, (s) => retireEtcd(s, scope.cp.spec.etcd.dataDir))));
  },
};

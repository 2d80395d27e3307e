// The etcd phase (EtcdClusterHealthy): the verified release pushed to every member host, data
// directory and unit in place, membership reconciled, then health checked on each host. While the
// certificates are not ready nothing is changed on the hosts; health is still reported.
import type { ControlPlane } from '../../api/index.ts';
import { ArtifactError, etcdRelease, type Artifact, type ArtifactCache } from '../../artifacts/index.ts';
import type { ConditionInput } from '../../runtime/conditions.ts';
import { reconcileMembership, waitUntilHealthy, type OnHost } from './etcd-cluster.ts';
import { checkEtcdHealth, type EtcdMemberStatus } from './etcd-health.ts';
import { prepareEtcdHost, type EtcdHostState } from './etcd-host.ts';
import type { EtcdMemberPlan } from './etcd-unit.ts';
import { etcdFlags } from './etcd-unit.ts';
import { etcdVersionFor } from './etcd-version.ts';
import type { Member } from './members.ts';

export interface EtcdOutcome {
  condition: ConditionInput;
  members?: EtcdMemberStatus[];
  healthy: number;
}

const CONDITION = 'EtcdClusterHealthy';

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

async function converge(cp: ControlPlane, members: readonly Member[], cache: ArtifactCache, onHost: OnHost): Promise<void> {
  // Refused before anything is installed: a bad flag, an unknown version, an unverified artifact.
  for (const member of members) etcdFlags(memberPlan(cp, member));
  const artifacts = await artifactsFor(cp, members, cache);
  const prepared = await Promise.all(
    members.map(async (member): Promise<[string, EtcdHostState]> => [
      member.name,
      await onHost(member, (s) => prepareEtcdHost(s, memberPlan(cp, member), artifacts.get(member.arch)!)),
    ]),
  );
  // One member at a time, each answering again before the next goes down, so the quorum holds.
  for (const member of members.filter((m) => prepared.find(([name]) => name === m.name)?.[1].restart)) {
    await onHost(member, (s) => s.check('systemctl restart etcd', { changes: 'restarted etcd for its changed unit', timeoutMs: 120_000 }));
    await waitUntilHealthy(onHost, member, 'its restart');
  }
  await reconcileMembership(onHost, members, new Map(prepared), cp.spec.etcd.dataDir);
}

export async function runEtcdPhase(
  cp: ControlPlane,
  members: readonly Member[],
  cache: ArtifactCache,
  onHost: OnHost,
  certificatesReady: boolean,
): Promise<EtcdOutcome> {
  let failure: ConditionInput | undefined;
  if (certificatesReady) {
    try {
      await converge(cp, members, cache, onHost);
    } catch (error) {
      const reason = (error as { reason?: string }).reason;
      if (!reason && !(error instanceof ArtifactError)) throw error;
      failure = { type: CONDITION, status: 'False', reason: reason ?? 'Error', message: (error as Error).message };
    }
  }
  const health = await checkEtcdHealth(onHost, members);
  const healthy = health.healthyVoters.length;
  if (failure) return { condition: failure, members: health.members, healthy };
  if (!certificatesReady && !health.answered) {
    const message = 'etcd is installed once CertificatesReady is True; nothing was changed on the hosts';
    return { condition: { type: CONDITION, status: 'Unknown', reason: 'WaitingForCertificates', message }, healthy };
  }
  if (health.problems.length > 0) {
    const message = `${healthy} of ${members.length} members healthy; ${health.problems.join('; ')}`;
    return { condition: { type: CONDITION, status: 'False', reason: 'MembersUnhealthy', message }, members: health.members, healthy };
  }
  const held = certificatesReady ? '' : '; changes wait for CertificatesReady';
  const message = `${healthy} of ${members.length} members healthy${held}`;
  return { condition: { type: CONDITION, status: 'True', reason: 'Healthy', message }, members: health.members, healthy };
}

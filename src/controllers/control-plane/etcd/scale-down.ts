// Members leaving the cluster when spec.replicas shrinks: one at a time, each removed from etcd
// through the members that stay, and only while they keep a quorum afterwards. What runs on the
// leaving host is taken down afterwards by the phases' teardowns (reconciler.ts); etcd's part of
// that is `retireEtcd`: stop it and move the data directory aside (never delete it).
import { shellQuote, type HostSession } from '../../../host/index.ts';
import { EtcdMembershipError, entryFor, removeMember, surveyCluster, type OnHost } from './membership.ts';
import { checkEtcdHealth } from './health.ts';
import { readEtcdState } from './host.ts';
import { ETCD_BOOTSTRAP_ENV_PATH, ETCD_UNIT_PATH } from './unit.ts';
import type { Member } from '../members.ts';

/**
 * Takes the surplus members out of etcd, one by one, through the others. Unhealthy ones go first:
 * taking out a member that is down costs no healthy voter, while taking out a healthy one first
 * could leave too few for a quorum (3 voters, one down: removing the healthy surplus would leave 2
 * voters with 1 healthy; removing the dead one leaves 2 with 2).
 */
export async function removeSurplus(onHost: OnHost, stay: readonly Member[], surplus: readonly Member[], recordedId: string | undefined): Promise<void> {
  const health = await checkEtcdHealth(onHost, surplus, { recordedId });
  const healthy = (m: Member) => health.healthyVoters.includes(m);
  const ordered = [...surplus.filter((m) => !healthy(m)), ...surplus.filter(healthy)];
  for (const [i, gone] of ordered.entries()) {
    const remaining = [...stay, ...ordered.slice(i + 1)];
    const { view } = await surveyCluster(onHost, remaining, recordedId);
    if (!view) {
      const names = remaining.map((m) => m.name).join(', ');
      throw new EtcdMembershipError('EtcdUnavailable', `no other member answers, so ${gone.name} is not removed; check etcd on ${names}`);
    }
    const entry = entryFor(view.list, gone);
    if (!entry) continue;
    const healthy = (await checkEtcdHealth(onHost, remaining, { recordedId })).healthyVoters.length;
    await removeMember(onHost, view, entry, healthy, gone.hostname);
  }
}

/** Stops etcd on a host that leaves the cluster and moves its data aside, so it can join a cluster afresh later. */
export async function retireEtcd(session: HostSession, dataDir: string): Promise<void> {
  const state = await readEtcdState(session, dataDir);
  if (!state.active && !state.hasData && !state.bootstrapEnv) return;
  const dir = shellQuote(dataDir);
  await session.check(
    `if [ -f ${ETCD_UNIT_PATH} ]; then systemctl disable --now etcd && { systemctl reset-failed etcd 2>/dev/null || true; }; fi && rm -f ${ETCD_BOOTSTRAP_ENV_PATH} ${ETCD_UNIT_PATH} && systemctl daemon-reload && ` +
      `if [ -d ${dir}/member ]; then mv ${dir} ${dir}.removed-$(date +%Y%m%d%H%M%S) && install -d -m 0700 ${dir}; fi`,
    { changes: `stopped etcd and moved ${dataDir} aside` },
  );
}

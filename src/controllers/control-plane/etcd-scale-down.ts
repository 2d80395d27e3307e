// Members leaving the cluster when spec.replicas shrinks: one at a time, each removed from etcd only
// when the members that stay keep a quorum afterwards; then etcd is stopped on its host and the
// data directory moved aside (never deleted), so the host can join a cluster afresh later.
import { shellQuote } from '../../host/index.ts';
import { EtcdMembershipError, entryFor, findCluster, type OnHost } from './etcd-cluster.ts';
import { checkEtcdHealth } from './etcd-health.ts';
import { readEtcdState } from './etcd-host.ts';
import { ETCD_BOOTSTRAP_ENV_PATH } from './etcd-unit.ts';
import { etcdctl } from './etcdctl.ts';
import type { Member } from './members.ts';

/** `remaining` are the members still in etcd once `gone` is out: those that stay and surplus ones not removed yet. */
async function removeFromCluster(onHost: OnHost, remaining: readonly Member[], gone: Member): Promise<void> {
  const cluster = await findCluster(onHost, remaining);
  if (!cluster) {
    const names = remaining.map((m) => m.name).join(', ');
    throw new EtcdMembershipError('EtcdUnavailable', `no other member answers, so ${gone.name} is not removed; check etcd on ${names}`);
  }
  const entry = entryFor(cluster.list, gone);
  if (!entry) return;
  const voters = cluster.list.filter((e) => !e.learner).length;
  const votersAfter = entry.learner ? voters : voters - 1;
  const quorum = Math.floor(votersAfter / 2) + 1;
  const healthy = (await checkEtcdHealth(onHost, remaining)).healthyVoters.length;
  if (healthy < quorum) {
    throw new EtcdMembershipError(
      'WaitingForQuorum',
      `${gone.name} stays in etcd for now: without it ${votersAfter} voters would need ${quorum} healthy for a quorum, and ${healthy} are; ` +
        'it is removed once the others are healthy',
    );
  }
  await onHost(cluster.anchor, (s) => s.check(etcdctl(`member remove ${entry.id}`, 'admin'), { changes: `removed ${gone.hostname} from etcd` }));
}

async function retire(onHost: OnHost, gone: Member, dataDir: string): Promise<void> {
  await onHost(gone, async (s) => {
    const state = await readEtcdState(s, dataDir);
    if (!state.active && !state.hasData) return;
    const dir = shellQuote(dataDir);
    await s.check(
      `systemctl disable --now etcd && rm -f ${ETCD_BOOTSTRAP_ENV_PATH} && ` +
        `if [ -d ${dir}/member ]; then mv ${dir} ${dir}.removed-$(date +%Y%m%d%H%M%S) && install -d -m 0700 ${dir}; fi`,
      { changes: `stopped etcd and moved ${dataDir} aside` },
    );
  });
}

/** Takes the surplus members out of etcd and off their hosts, one by one. */
export async function removeSurplus(onHost: OnHost, stay: readonly Member[], surplus: readonly Member[], dataDir: string): Promise<void> {
  for (const [i, gone] of surplus.entries()) {
    await removeFromCluster(onHost, [...stay, ...surplus.slice(i + 1)], gone);
    await retire(onHost, gone, dataDir);
  }
}

// What every etcd member's host needs before it can join: the verified binaries, a private data
// directory and the unit. Each step compares before it changes anything, so a converged host costs
// a few reads and writes nothing.
import { pushArtifact, type Artifact } from '../../../artifacts/index.ts';
import { shellQuote, writeFile, type HostSession } from '../../../host/index.ts';
import { staleUnitsIn, staleUnitsScript } from '../../units/stale-units.ts';
import { ETCD_BINARY, ETCD_BOOTSTRAP_ENV_PATH, ETCD_UNIT_PATH, etcdBootstrapEnv, etcdUnitFile, type EtcdMemberPlan, type InitialMember } from './unit.ts';

export interface EtcdHostState {
  /** The data directory holds a member (etcd has run here before). */
  hasData: boolean;
  active: boolean;
  /** The first-start settings are still there; they go once the member has joined. */
  bootstrapEnv: boolean;
  /** The member runs older settings than its unit or binary: it needs a restart to take them up. */
  restart: boolean;
}

async function ensureDataDir(session: HostSession, dataDir: string): Promise<void> {
  const dir = shellQuote(dataDir);
  const { stdout } = await session.check(`stat -c '%a %U' -- ${dir} 2>/dev/null || true`);
  if (stdout.trim() === '700 root') return;
  await session.check(`install -d -m 0700 -o root -g root -- ${dir} && chmod 0700 -- ${dir}`, {
    changes: `made ${dataDir} (0700 root)`,
  });
}

export async function readEtcdState(session: HostSession, dataDir: string): Promise<EtcdHostState> {
  const { stdout } = await session.exec(
    `test -d ${shellQuote(`${dataDir}/member`)} && echo data; systemctl is-active --quiet etcd && echo active; ` +
      `test -f ${ETCD_BOOTSTRAP_ENV_PATH} && echo bootstrap; ${staleUnitsScript([{ unit: 'etcd', files: [ETCD_UNIT_PATH, ETCD_BINARY] }])}; true`,
  );
  const lines = stdout.split('\n');
  return {
    hasData: lines.includes('data'),
    active: lines.includes('active'),
    bootstrapEnv: lines.includes('bootstrap'),
    restart: staleUnitsIn(stdout).has('etcd'),
  };
}

/**
 * Installs binaries, data directory and unit. Nothing is started or restarted here: a running
 * member older than its unit or binary is only marked, and members restart one at a time.
 */
export async function prepareEtcdHost(session: HostSession, plan: EtcdMemberPlan, artifact: Artifact): Promise<EtcdHostState> {
  await pushArtifact(session, artifact);
  await ensureDataDir(session, plan.dataDir);
  const unit = await writeFile(session, etcdUnitFile(plan));
  if (unit.changed) await session.check('systemctl daemon-reload', { changes: 'reloaded systemd units' });
  const state = await readEtcdState(session, plan.dataDir);
  // A member running older settings is only marked (see stale-units.ts): members restart one at a time.
  state.restart &&= state.hasData;
  return state;
}

/**
 * Starts a stopped member that has its data. Only the membership step calls it, once it knows the
 * member belongs to the trusted cluster: a stopped member of another cluster stays stopped.
 */
export async function startStoppedMember(session: HostSession): Promise<void> {
  // --no-block: a member without quorum does not report ready until its peers are back.
  await session.check('systemctl enable etcd && systemctl start --no-block etcd', { changes: 'started etcd' });
}

/** Starts a member for the first time with the cluster it is to join. */
export async function startNewMember(
  session: HostSession,
  initial: readonly InitialMember[],
  state: 'new' | 'existing',
  wait: boolean,
): Promise<void> {
  await writeFile(session, { path: ETCD_BOOTSTRAP_ENV_PATH, content: etcdBootstrapEnv(initial, state), mode: 0o644 });
  const start = wait ? 'systemctl start etcd' : 'systemctl start --no-block etcd';
  await session.check(`systemctl enable etcd && ${start}`, {
    changes: state === 'new' ? 'started etcd as the first member of a new cluster' : 'started etcd to join the cluster',
    timeoutMs: 120_000,
  });
}

/** Stops a member whose data is gone, and its first-start settings with it, before it is removed. */
export async function stopMember(session: HostSession): Promise<void> {
  await session.check(`systemctl stop etcd && rm -f ${ETCD_BOOTSTRAP_ENV_PATH}`, { changes: 'stopped etcd, whose data directory is gone' });
}

/**
 * Once a member has joined, its first-start settings go: etcd ignores them while its data is there,
 * and without them a member that lost its data cannot start a new cluster on its own.
 */
export async function dropBootstrapEnv(session: HostSession): Promise<void> {
  await session.check(`rm -f ${ETCD_BOOTSTRAP_ENV_PATH}`, { changes: 'removed the etcd first-start settings, the member having joined' });
}

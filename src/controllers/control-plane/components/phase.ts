// ControlPlaneComponentsHealthy: kube-apiserver, kube-controller-manager and kube-scheduler of
// spec.version on every member, from the artifact mirror, as systemd units with the files they read.
// Members are prepared in parallel; a component whose unit, binary or configuration changed under a
// running member is restarted one member at a time, and only while every other member is healthy.
import { setTimeout as sleep } from 'node:timers/promises';
import { kubernetesBinary, pushArtifact, type Artifact } from '../../../artifacts/index.ts';
import { shellJoin, writeFiles, type HostSession } from '../../../host/index.ts';
import { KubesmithError } from '../../../errors.ts';
import type { Phase, PhaseOutcome } from '../../phases.ts';
import { settleAll } from '../../settle.ts';
import { ensureEncryptionKey } from '../cluster-secrets.ts';
import { checkMemberComponents, describeHealth, type MemberHealth } from './health.ts';
import {
  AUDIT_LOG_PATH,
  AUDIT_POLICY_PATH,
  AUTHENTICATION_CONFIG_PATH,
  ENCRYPTION_CONFIG_PATH,
  componentFiles,
  componentsPlan,
  controlPlaneComponents,
  type ComponentName,
  type EncryptionKey,
} from './index.ts';
import type { Member } from '../members.ts';
import { removeFiles } from '../../remote-files.ts';
import { staleUnitsIn, staleUnitsScript } from '../../units/stale-units.ts';
import type { ControlPlaneScope } from '../scope.ts';

const NAMES = controlPlaneComponents.map((c) => c.name);
/** The API server reads these at start only: a change to one is a restart of the API server. */
const API_SERVER_CONFIG = new Set([AUDIT_POLICY_PATH, AUTHENTICATION_CONFIG_PATH, ENCRYPTION_CONFIG_PATH]);
const AUDIT_DIR = AUDIT_LOG_PATH.slice(0, AUDIT_LOG_PATH.lastIndexOf('/'));
const START_TIMEOUT_MS = 120_000;
/** How long a component on a host being torn down may take to stop before it is killed. */
const STOP_GRACE_S = 20;
/**
 * The same on a host whose etcd member was already removed (a scale-down): its API server cannot
 * finish a graceful stop, so it is killed as soon as its stop has begun (a process killed outside a
 * stop would be restarted by systemd).
 */
const STOP_GRACE_WITHOUT_ETCD_S = 1;

/** The three binaries for each architecture among the members, downloaded and verified once. */
async function binariesFor(scope: ControlPlaneScope): Promise<Map<string, Artifact[]>> {
  const { cp, members, deps } = scope;
  const arches = [...new Set(members.map((m) => m.arch))];
  const perArch = await Promise.all(
    arches.map((arch) =>
      Promise.all(NAMES.map((name) => deps.artifacts.get(kubernetesBinary(cp.spec.artifacts.baseURL, cp.spec.version, arch, name), cp.spec.artifacts.checksumPolicy))),
    ),
  );
  return new Map(arches.map((arch, i) => [arch, perArch[i]!]));
}

interface HostResult {
  /** Components that were not running and were started. */
  started: ComponentName[];
  /** Running components older than their unit, binary or configuration. */
  restart: ComponentName[];
}

/** What runs on the host: active units, and those running older settings than their files. */
async function unitStates(session: HostSession): Promise<{ active: Set<string>; stale: Set<string> }> {
  const files = controlPlaneComponents.map((c) => ({
    unit: c.name,
    files: [c.unitPath, c.binary, ...(c.name === 'kube-apiserver' ? API_SERVER_CONFIG : [])],
  }));
  const { stdout } = await session.exec(
    `for u in ${shellJoin(NAMES)}; do systemctl is-active --quiet "$u" && echo "active:$u"; done; ${staleUnitsScript(files)}; true`,
  );
  const active = new Set(stdout.split('\n').filter((l) => l.startsWith('active:')).map((l) => l.slice('active:'.length)));
  return { active, stale: staleUnitsIn(stdout) };
}

async function prepareHost(session: HostSession, scope: ControlPlaneScope, member: Member, key: EncryptionKey, binaries: readonly Artifact[]): Promise<HostResult> {
  let unitsChanged = false;
  for (const binary of binaries) await pushArtifact(session, binary);
  const plan = componentsPlan(scope.cp, { advertiseIP: member.ip });
  const units = new Set(controlPlaneComponents.map((c) => c.unitPath));
  for (const result of await writeFiles(session, componentFiles(plan, key))) unitsChanged ||= result.changed && units.has(result.path);
  if (unitsChanged) {
    await session.check(`install -d -m 0700 ${AUDIT_DIR} && systemctl daemon-reload`, { changes: 'reloaded systemd units' });
  }
  const { active, stale } = await unitStates(session);
  const started = NAMES.filter((n) => !active.has(n));
  if (started.length > 0) {
    // --no-block: the API server reports ready only once it serves; readiness is polled instead.
    await session.check(`systemctl enable ${shellJoin(started)} && systemctl start --no-block ${shellJoin(started)}`, {
      changes: `started ${started.join(', ')}`,
    });
  }
  // Restarts wait for the rolling restart, one member at a time (see stale-units.ts for why the host decides).
  return { started, restart: NAMES.filter((n) => stale.has(n)) };
}

async function waitUntilHealthy(scope: ControlPlaneScope, member: Member, components: readonly ComponentName[], after: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const health = await checkMemberComponents(scope, member, components);
    if (health.unhealthy.length === 0) return;
    if (Date.now() > deadline) {
      throw new ComponentsError('ComponentsUnhealthy', `${after}, after ${START_TIMEOUT_MS / 1000} s: ${describeHealth(health)}; see \`journalctl -u <unit>\` on ${member.name}`);
    }
    await sleep(1_000);
  }
}

/** A component that does not come up healthy, or a restart that has to wait for the other members. */
export class ComponentsError extends KubesmithError {
  readonly reason: 'ComponentsUnhealthy' | 'WaitingForHealthyMembers';
  constructor(reason: ComponentsError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

function ignoreUnhealthy(error: unknown): void {
  if (!(error instanceof ComponentsError)) throw error;
}

async function rollRestarts(scope: ControlPlaneScope, results: ReadonlyMap<Member, HostResult>): Promise<void> {
  for (const [member, result] of results) {
    if (result.restart.length === 0) continue;
    const others = await Promise.all(scope.members.filter((m) => m !== member).map((m) => checkMemberComponents(scope, m)));
    const sick = others.filter((h) => h.unhealthy.length > 0);
    if (sick.length > 0) {
      throw new ComponentsError(
        'WaitingForHealthyMembers',
        `${member.name} waits to restart ${result.restart.join(', ')} until every other member is healthy: ${sick.map(describeHealth).join('; ')}`,
      );
    }
    await scope.onHost(member, (s) =>
      s.check(`systemctl daemon-reload && systemctl restart --no-block ${shellJoin(result.restart)}`, { changes: `restarted ${result.restart.join(', ')} for changed settings` }),
    );
    await waitUntilHealthy(scope, member, result.restart, `${result.restart.join(', ')} restarted on ${member.name}`);
  }
}

export const componentsPhase: Phase<ControlPlaneScope> = {
  condition: 'ControlPlaneComponentsHealthy',
  needs: ['EtcdClusterHealthy'],
  does: 'kube-apiserver, kube-controller-manager and kube-scheduler are installed',
  async run(scope): Promise<PhaseOutcome> {
    const { members } = scope;
    const encryption = await ensureEncryptionKey(scope.deps.client, scope.cp);
    if (encryption.created) scope.notices.push({ type: 'Normal', reason: 'SecretCreated', message: `created Secret ${scope.cp.metadata.name}-encryption` });
    // Refused before anything is installed: a managed flag in extraArgs, an unverified binary.
    for (const member of members) componentFiles(componentsPlan(scope.cp, { advertiseIP: member.ip }), encryption.key);
    const binaries = await binariesFor(scope);
    const prepared = await settleAll(
      members.map(async (member): Promise<[Member, HostResult]> => [
        member,
        await scope.onHost(member, (s) => prepareHost(s, scope, member, encryption.key, binaries.get(member.arch)!)),
      ]),
    );
    const results = new Map(prepared);
    // A component that does not come up in time is reported by the health check below, not thrown:
    // the other members' state is worth reporting too.
    await settleAll(
      prepared
        .filter(([, r]) => r.started.length > 0)
        .map(([member, r]) => waitUntilHealthy(scope, member, r.started, `${r.started.join(', ')} started on ${member.name}`).catch(ignoreUnhealthy)),
    );
    await rollRestarts(scope, results);
    const health: MemberHealth[] = await Promise.all(members.map((m) => checkMemberComponents(scope, m)));
    const ready = health.filter((h) => h.unhealthy.length === 0);
    scope.status.readyReplicas = ready.length;
    if (ready.length < members.length) {
      const message = `${ready.length} of ${members.length} members healthy; ${health.filter((h) => h.unhealthy.length > 0).map(describeHealth).join('; ')}`;
      return { status: 'False', reason: 'ComponentsUnhealthy', message };
    }
    return { status: 'True', reason: 'Healthy', message: `kube-apiserver, kube-controller-manager and kube-scheduler healthy on ${members.length} of ${members.length} members` };
  },
  async teardown(scope) {
    // The API server last: the others are its clients.
    const units = controlPlaneComponents.map((c) => c.unitPath).reverse();
    const binaries = controlPlaneComponents.map((c) => c.binary);
    await settleAll(
      scope.members.map((member) =>
        scope.onHost(member, async (s) => {
          // An API server whose etcd is gone never finishes its shutdown hooks (they write to etcd):
          // after a grace it is killed, instead of holding the teardown for systemd's 90 s. A host
          // that left by a scale-down left etcd first; when the whole ControlPlane goes, etcd goes
          // after the components, which then stop in their own time. reset-failed: a killed or
          // crashed component would otherwise stay listed as failed.
          const grace = scope.retiring.some((m) => m.name === member.name) ? STOP_GRACE_WITHOUT_ETCD_S : STOP_GRACE_S;
          const stop =
            `n=0; for u in ${shellJoin(units)}; do if [ -f "$u" ]; then c=$(basename "$u"); ` +
            `timeout ${grace} systemctl stop "$c" || systemctl kill --signal=SIGKILL "$c" 2>/dev/null; ` +
            `systemctl disable --now "$c" && { systemctl reset-failed "$c" 2>/dev/null; n=$((n+1)); }; fi; done; echo $n`;
          const stopped = await s.check(stop);
          if (Number(stopped.stdout.trim()) > 0) s.recordChange(`stopped ${NAMES.join(', ')}`, stop, 0, stopped.durationMs);
          if (await removeFiles(s, [...units, ...binaries, ...API_SERVER_CONFIG], 'removed the control-plane units, binaries and configuration')) {
            await s.check('systemctl daemon-reload');
          }
        }),
      ),
    );
  },
};

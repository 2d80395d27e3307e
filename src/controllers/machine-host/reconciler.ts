// The MachineHost reconcile: credentials, connect (host key pinned or recorded), probe, preflight,
// prep; status written once at the end whatever happened, with every condition set.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import ssh2 from 'ssh2';
import type { MachineHost, MachineHostStatus } from '../../api/index.ts';
import { HostError, type HostChange, type HostTarget, type SshPool } from '../../host/index.ts';
import { selectOs, type OperatingSystem } from '../../host/os/index.ts';
import { findCondition, setCondition, summarize, type ConditionInput } from '../../runtime/conditions.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { applyStatus } from '../../runtime/status.ts';
import { machineHostResource } from '../resources.ts';
import { CONNECTION_REASONS, OWNED, SUMMARIZED, initialConditions, type Conditions } from './conditions.ts';
import { toFacts } from './facts.ts';
import { desiredHostname, preflight } from './preflight.ts';
import { applyPrep, planPrep } from './prep.ts';
import { PROBE_SCRIPT, parseProbe } from './probe.ts';
import { KubesmithError } from '../../errors.ts';

export interface MachineHostDeps {
  client: KubeClient;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  pool: SshPool;
  events: EventRecorder;
  /** How often a prepared host is checked for drift. */
  recheckIntervalMs: number;
  /** How soon a host that could not be reached is tried again. */
  retryMs: number;
}

/** The key Secret is absent, lacks the key, or holds something that is not a usable private key. */
export class MissingKeyError extends KubesmithError {
  readonly reason: 'SshKeySecretMissing' | 'SshKeyInvalid';
  override readonly needsPerson: boolean;
  constructor(message: string, reason: MissingKeyError['reason'] = 'SshKeySecretMissing') {
    super(message);
    this.reason = reason;
    // A missing Secret is waited for (its creation re-enqueues the host); an unusable key is not.
    this.needsPerson = reason === 'SshKeyInvalid';
  }
}

/** What building a host's SSH target needs: the Secrets holding its keys. */
export type TargetDeps = Pick<MachineHostDeps, 'secrets'>;

function privateKey(deps: TargetDeps, namespace: string, ref: { name: string; key: string }): string {
  const secret = deps.secrets.get(`${namespace}/${ref.name}`);
  if (!secret) throw new MissingKeyError(`Secret ${namespace}/${ref.name} does not exist; create it with the SSH private key under "${ref.key}"`);
  const value = secret.data?.[ref.key];
  if (!value) {
    const keys = Object.keys(secret.data ?? {});
    throw new MissingKeyError(`Secret ${namespace}/${ref.name} has no key "${ref.key}" (it has: ${keys.join(', ') || 'none'})`);
  }
  const key = Buffer.from(value, 'base64').toString('utf8');
  // Checked here so a bad key gets its own reason instead of surfacing as a failed login.
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) {
    throw new MissingKeyError(
      `"${ref.key}" in Secret ${namespace}/${ref.name} is not a usable private key (${parsed.message}); ` +
        'put an unencrypted OpenSSH or PEM private key there',
      'SshKeyInvalid',
    );
  }
  return key;
}

/** How to log in to a MachineHost; throws MissingKeyError when its key Secret is absent, incomplete or unusable. */
export function target(deps: TargetDeps, host: MachineHost): HostTarget {
  const ns = host.metadata.namespace!;
  const { spec } = host;
  const key = privateKey(deps, ns, spec.sshKeySecretRef);
  return {
    address: spec.address,
    port: spec.port,
    user: spec.user,
    privateKey: key,
    hostKey: spec.hostKey ?? host.status?.hostKey,
    bastion: spec.bastion && {
      address: spec.bastion.address,
      port: spec.bastion.port,
      user: spec.bastion.user,
      privateKey: spec.bastion.sshKeySecretRef ? privateKey(deps, ns, spec.bastion.sshKeySecretRef) : key,
      hostKey: spec.bastion.hostKey ?? host.status?.bastionHostKey,
    },
  };
}

interface Outcome {
  conditions: Conditions;
  status: MachineHostStatus;
  changes: HostChange[];
  drift: string[];
}

/** Connects, probes, checks and prepares; fills the outcome as far as it gets. */
async function converge(deps: MachineHostDeps, host: MachineHost, out: Outcome, peers: readonly MachineHost[]): Promise<void> {
  const wasPrepared = findCondition(host.status?.conditions, 'Prepared')?.status === 'True';
  await deps.pool.withHost(
    target(deps, host),
    async (session) => {
      if (!host.spec.hostKey && !host.status?.hostKey) out.status.hostKey = session.hostKey.line;
      if (host.spec.bastion && !host.spec.bastion.hostKey && !host.status?.bastionHostKey) {
        out.status.bastionHostKey = session.bastionHostKey?.line;
      }
      out.status.hostKeyFingerprint = session.hostKey.fingerprint;
      const before = Date.now();
      const { stdout } = await session.check(PROBE_SCRIPT, { timeoutMs: 60_000 });
      const probe = parseProbe(stdout);
      const clockOffsetMs = probe.hostTimeMs - (before + Date.now()) / 2;
      out.conditions.Reachable = {
        type: 'Reachable',
        status: 'True',
        reason: 'Connected',
        message: `logged in as ${host.spec.user}@${host.spec.address}:${host.spec.port}, host key ${session.hostKey.fingerprint}`,
      };
      let os: OperatingSystem | undefined;
      try {
        os = selectOs(session.host, probe.osRelease);
      } finally {
        out.status.facts = toFacts(probe, os, clockOffsetMs);
      }
      const checks = preflight({ host, probe, clockOffsetMs, peers });
      out.conditions.PreflightPassed = checks;
      if (checks.status !== 'True') {
        out.conditions.Prepared = { type: 'Prepared', status: 'Unknown', reason: 'WaitingForPreflight', message: 'nothing is changed on a host that fails preflight' };
        return;
      }
      const plan = planPrep(probe, desiredHostname(host), os);
      if (plan.blockers.length) {
        out.conditions.Prepared = { type: 'Prepared', status: 'False', reason: 'CannotPrepare', message: plan.blockers.join('; ') };
        return;
      }
      out.conditions.Prepared = { type: 'Prepared', status: 'Unknown', reason: 'Preparing', message: 'applying host preparation' };
      const changed = await applyPrep(session, plan, probe);
      if (changed.length) {
        // Facts describe the host as it is now: after changes, look once more.
        const again = parseProbe((await session.check(PROBE_SCRIPT, { timeoutMs: 60_000 })).stdout);
        out.status.facts = toFacts(again, os, clockOffsetMs);
      }
      if (wasPrepared && changed.length) out.drift = changed;
      out.conditions.Prepared = { type: 'Prepared', status: 'True', reason: 'Prepared', message: plan.summary.join(', ') };
    },
    { observer: (change) => out.changes.push(change) },
  );
}

/** Puts a failure on the condition of the phase it happened in; the later phases wait. */
function recordFailure(out: Outcome, error: Error & { reason?: string }) {
  const reason = error.reason ?? 'Error';
  const failed = (type: keyof Conditions): ConditionInput => ({ type, status: 'False', reason, message: error.message });
  if (error instanceof MissingKeyError || CONNECTION_REASONS.has(reason)) {
    out.conditions.Reachable = failed('Reachable');
  } else if (reason === 'UnsupportedOperatingSystem') {
    out.conditions.PreflightPassed = failed('PreflightPassed');
    out.conditions.Prepared = { type: 'Prepared', status: 'Unknown', reason: 'WaitingForPreflight', message: 'nothing is changed on an unsupported OS' };
  } else if (out.conditions.Reachable.status !== 'True') {
    out.conditions.Reachable = failed('Reachable');
  } else {
    out.conditions.Prepared = failed('Prepared');
  }
}

/**
 * How soon to try again. A missing Secret is not polled: creating it re-enqueues the host. Errors
 * that wait for a person (a changed host key, a refused key, sudo) are retried at a slower pace
 * than a host that is down or a connection that broke.
 */
function retryAfter(deps: MachineHostDeps, error: HostError | MissingKeyError): Result {
  if (error instanceof MissingKeyError) return {};
  if (CONNECTION_REASONS.has(error.reason) && error.reason !== 'HostUnreachable') return { requeueAfterMs: Math.max(deps.retryMs, 60_000) };
  return { requeueAfterMs: deps.retryMs };
}

export async function reconcileMachineHost(deps: MachineHostDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  const host = deps.hosts.get(key);
  if (!host || host.metadata.deletionTimestamp) return;
  const out: Outcome = {
    conditions: initialConditions(),
    // consumerRef belongs to the controller that claims the host; this one never writes it.
    status: {
      hostKey: host.status?.hostKey,
      hostKeyFingerprint: host.status?.hostKeyFingerprint,
      bastionHostKey: host.spec.bastion ? host.status?.bastionHostKey : undefined,
      facts: host.status?.facts,
    },
    changes: [],
    drift: [],
  };
  let result: Result = { requeueAfterMs: deps.recheckIntervalMs };
  let unexpected: unknown;
  if (host.spec.paused) {
    out.conditions.Reachable = { type: 'Reachable', status: 'Unknown', reason: 'Paused', message: 'spec.paused is true; kubesmith leaves this host alone' };
    result = {};
  } else {
    try {
      const peers = deps.hosts.list().filter((h) => h.metadata.namespace === host.metadata.namespace);
      await converge(deps, host, out, peers);
    } catch (error) {
      if (error instanceof HostError || error instanceof MissingKeyError) {
        recordFailure(out, error);
        result = retryAfter(deps, error);
        if (error instanceof HostError && error.reason === 'HostKeyMismatch') {
          await deps.events.record(host, machineHostResource, 'Warning', 'HostKeyMismatch', 'Connect', error.message);
        }
      } else {
        unexpected = error;
        recordFailure(out, error as Error);
      }
    }
  }
  for (const change of out.changes) {
    await deps.events.record(host, machineHostResource, change.exitCode === 0 ? 'Normal' : 'Warning', 'HostChanged', 'Prepare', change.description);
  }
  if (out.drift.length) {
    await deps.events.record(host, machineHostResource, 'Warning', 'DriftCorrected', 'Recheck', `found changed behind kubesmith's back and fixed: ${out.drift.join('; ')}`);
  }
  const generation = host.metadata.generation;
  const inputs: ConditionInput[] = [...Object.values(out.conditions)];
  inputs.push(summarize(inputs, 'Ready', SUMMARIZED, 'Ready', 'reachable, checked and prepared'));
  let conditions = host.status?.conditions;
  for (const input of inputs) conditions = setCondition(conditions, input, generation);
  const status: MachineHostStatus = {
    ...out.status,
    observedGeneration: unexpected ? host.status?.observedGeneration : generation,
    conditions: (conditions ?? []).filter((c) => (OWNED as readonly string[]).includes(c.type)),
  };
  try {
    await applyStatus(deps.client, machineHostResource, host, JSON.parse(JSON.stringify(status)), 'kubesmith-machinehost');
  } catch (error) {
    // Both failures matter: the reconcile's own, and that its status could not be written.
    throw unexpected ? new AggregateError([unexpected, error], `reconcile failed and so did its status write: ${String(error)}`) : error;
  }
  ctx.log.debug({ ready: inputs.at(-1)?.status }, 'status set');
  if (unexpected) throw unexpected;
  return result;
}

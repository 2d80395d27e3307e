// The MachineHost reconcile: credentials, connect (host key pinned or recorded), probe, preflight,
// prep; a host key recorded at first contact goes into an annotation (host-key-pin.ts), then status
// is written once at the end whatever happened, with every condition set.
import ssh2 from 'ssh2';
import type { MachineHost, MachineHostStatus } from '../../api/index.ts';
import { parseHostKeyLine, type HostChange, type HostTarget, type SshPool } from '../../host/index.ts';
import { selectOs, type OperatingSystem } from '../../host/os/index.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import type { Informer } from '../../runtime/informer.ts';
import { isNotFound, MERGE_PATCH, type KubeClient } from '../../runtime/kube-client.ts';
import { resourcePath } from '../../runtime/resources.ts';
import { applyStatus } from '../../runtime/status.ts';
import { machineHostResource } from '../resources.ts';
import { NOT_TRIED_REASONS, OWNED, allConditions, initialConditions, recordFailure, stalledBy, type Conditions } from './conditions.ts';
import { toFacts } from './facts.ts';
import {
  RECORDED_BASTION_HOST_KEY_ANNOTATION,
  RECORDED_HOST_KEY_ANNOTATION,
  keysToRecord,
  pinAnnotations,
  pinnedKeys,
  recordedKeys,
  trustsFirstKey,
  type RecordedKeys,
} from './host-key-pin.ts';
import { desiredHostname, preflight } from './preflight.ts';
import { applyPrep, planPrep } from './prep.ts';
import { PROBE_SCRIPT, parseProbe } from './probe.ts';
import { isKubesmithError, KubesmithError } from '../../errors.ts';
import type { KeySecrets, SecretReader } from '../key-secrets.ts';
import type { Logger } from '../../runtime/logger.ts';

export const FIELD_MANAGER = 'kubesmith-machinehost';

export interface MachineHostDeps {
  client: KubeClient;
  hosts: Informer<MachineHost>;
  /** The cached key Secrets, and the reading (and labelling) of one the cache lacks. */
  secrets: KeySecrets;
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
    // A missing Secret is waited for (looked for again, see retryAfter); an unusable key is not.
    this.needsPerson = reason === 'SshKeyInvalid';
  }
}

/** What building a host's SSH target needs: the Secrets holding its keys (the operator's cache of key Secrets). */
export interface TargetDeps {
  secrets: SecretReader;
}

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

/**
 * Nothing is pinned or recorded for the host (or its bastion) yet. Only the MachineHost controller
 * records a key at first contact; everyone else waits for it rather than trust whatever key answers.
 */
export class HostKeyNotRecordedError extends KubesmithError {
  readonly reason = 'HostKeyNotRecorded';
}

/**
 * How to log in to a MachineHost; throws MissingKeyError when its key Secret is absent, incomplete or
 * unusable, and HostKeyNotRecordedError when no host key is pinned or recorded unless the caller is
 * the one that records it (`trustFirstKey`).
 */
export function target(deps: TargetDeps, host: MachineHost, options: { trustFirstKey?: boolean } = {}): HostTarget {
  const ns = host.metadata.namespace!;
  const { spec } = host;
  const key = privateKey(deps, ns, spec.sshKeySecretRef);
  const pins = pinnedKeys(host);
  if (!options.trustFirstKey && (!pins.hostKey || (spec.bastion && !pins.bastionHostKey))) {
    throw new HostKeyNotRecordedError(
      `no host key is pinned or recorded for ${host.metadata.name}${pins.hostKey ? "'s bastion" : ''} yet, so it is not connected to; ` +
        'the MachineHost controller records it at first contact (or set spec.hostKey)',
    );
  }
  return {
    address: spec.address,
    port: spec.port,
    user: spec.user,
    privateKey: key,
    hostKey: pins.hostKey,
    bastion: spec.bastion && {
      address: spec.bastion.address,
      port: spec.bastion.port,
      user: spec.bastion.user,
      privateKey: spec.bastion.sshKeySecretRef ? privateKey(deps, ns, spec.bastion.sshKeySecretRef) : key,
      hostKey: pins.bastionHostKey,
    },
  };
}

interface Outcome {
  conditions: Conditions;
  status: MachineHostStatus;
  /** Keys seen at first contact (nothing pinned yet), to be recorded. */
  seen: RecordedKeys;
  changes: HostChange[];
  drift: string[];
}

/** Connects, probes, checks and prepares; fills the outcome as far as it gets. */
async function converge(deps: MachineHostDeps, host: MachineHost, out: Outcome, peers: readonly MachineHost[], log: Logger): Promise<void> {
  const wasPrepared = findCondition(host.status?.conditions, 'Prepared')?.status === 'True';
  // A key Secret not cached yet is read directly and labelled, so the cache has it from now on.
  const secrets = await deps.secrets.forHost(host, log);
  await deps.pool.withHost(
    target({ secrets }, host, { trustFirstKey: true }),
    async (session) => {
      const recorded = recordedKeys(host);
      if (!host.spec.hostKey && !recorded.hostKey) out.seen.hostKey = session.hostKey.line;
      if (host.spec.bastion && !host.spec.bastion.hostKey && !recorded.bastionHostKey) {
        out.seen.bastionHostKey = session.bastionHostKey?.line;
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

/**
 * How soon to try again. What only a change to the key Secret, spec or annotations can fix is not
 * polled: that change re-enqueues the host. A key Secret that does not exist is the exception: the
 * operator watches only the key Secrets it has labelled, so one created later is looked for at the
 * pace of a host that is down. Errors that wait for a person (a changed host key, a refused key,
 * sudo, an unsupported OS) are retried at a slower pace than a host that is down or a connection that
 * broke.
 */
function retryAfter(deps: MachineHostDeps, error: KubesmithError): Result {
  if (error.reason === 'SshKeySecretMissing') return { requeueAfterMs: deps.retryMs };
  if (NOT_TRIED_REASONS.has(error.reason)) return {};
  if (error.needsPerson) return { requeueAfterMs: Math.max(deps.retryMs, 60_000) };
  return { requeueAfterMs: deps.retryMs };
}

/**
 * Writes the recorded pins into the annotations (a merge patch on the object, so a status lost in a
 * backup or migration does not lose them). The update this makes is not reconciled again (see
 * isOwnPinWrite in index.ts). Returns the error instead of throwing, so status is still written.
 */
async function recordPins(deps: MachineHostDeps, host: MachineHost, seen: RecordedKeys): Promise<unknown> {
  const annotations = pinAnnotations(host, seen);
  const { name, namespace } = host.metadata;
  try {
    if (annotations) {
      const path = resourcePath(machineHostResource, namespace, name);
      await deps.client.patch(path, { metadata: { annotations } }, MERGE_PATCH, { fieldManager: FIELD_MANAGER });
    }
    // A key line left in status by an older version goes once it is in the annotation, so that removing
    // the annotation re-pins. A merge patch, because a restore may have written it under another manager.
    if (host.status?.hostKey || host.status?.bastionHostKey) {
      const path = resourcePath(machineHostResource, namespace, name, 'status');
      await deps.client.patch(path, { status: { hostKey: null, bastionHostKey: null } }, MERGE_PATCH, { fieldManager: FIELD_MANAGER });
    }
  } catch (error) {
    return error;
  }
  if (!annotations) return undefined;
  const recorded: [string, string | undefined, string][] = [
    ['host key', seen.hostKey, RECORDED_HOST_KEY_ANNOTATION],
    ['bastion host key', seen.bastionHostKey, RECORDED_BASTION_HOST_KEY_ANNOTATION],
  ];
  for (const [what, line, annotation] of recorded) {
    if (!line || annotations[annotation] !== line) continue;
    const note = `first contact: recorded ${what} ${parseHostKeyLine(line).fingerprint} in annotation ${annotation}; it is pinned from now on`;
    await deps.events.record(host, machineHostResource, 'Normal', 'HostKeyRecorded', 'Connect', note);
  }
  return undefined;
}

/** The object itself rather than the cache, which may lag behind a pin written by the reconcile just before. */
async function freshHost(deps: MachineHostDeps, host: MachineHost): Promise<MachineHost | undefined> {
  try {
    return await deps.client.get<MachineHost>(resourcePath(machineHostResource, host.metadata.namespace, host.metadata.name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export async function reconcileMachineHost(deps: MachineHostDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  let host = deps.hosts.get(key);
  if (host && !host.spec.paused && trustsFirstKey(host)) {
    // About to trust whatever key answers: make sure no pin has been written since the cache was filled.
    host = await freshHost(deps, host);
  }
  if (!host || host.metadata.deletionTimestamp) return;
  const out: Outcome = {
    conditions: initialConditions(),
    // consumerRef belongs to the controller that claims the host; this one never writes it. The key
    // lines are not kept here but in the annotations (recordPins).
    status: {
      hostKeyFingerprint: host.status?.hostKeyFingerprint,
      facts: host.status?.facts,
    },
    seen: {},
    changes: [],
    drift: [],
  };
  let result: Result = { requeueAfterMs: deps.recheckIntervalMs };
  let failure: KubesmithError | undefined;
  let unexpected: unknown;
  if (host.spec.paused) {
    out.conditions.Reachable = { type: 'Reachable', status: 'Unknown', reason: 'Paused', message: 'spec.paused is true; kubesmith leaves this host alone' };
    result = {};
  } else {
    try {
      const peers = deps.hosts.list().filter((h) => h.metadata.namespace === host.metadata.namespace);
      await converge(deps, host, out, peers, ctx.log);
    } catch (error) {
      if (isKubesmithError(error)) {
        failure = error;
        recordFailure(out.conditions, error);
        result = retryAfter(deps, error);
        if (error.reason === 'HostKeyMismatch') {
          await deps.events.record(host, machineHostResource, 'Warning', 'HostKeyMismatch', 'Connect', error.message);
        }
      } else {
        unexpected = error;
        recordFailure(out.conditions, error as Error);
      }
    }
  }
  for (const change of out.changes) {
    await deps.events.record(host, machineHostResource, change.exitCode === 0 ? 'Normal' : 'Warning', 'HostChanged', 'Prepare', change.description);
  }
  if (out.drift.length) {
    await deps.events.record(host, machineHostResource, 'Warning', 'DriftCorrected', 'Recheck', `found changed behind kubesmith's back and fixed: ${out.drift.join('; ')}`);
  }
  // The pin first: a status written without the key line must never stand without the annotation.
  const pinError = await recordPins(deps, host, out.seen);
  if (pinError) {
    // Kept in status until the annotation can be written; the next reconcile moves it there.
    const keys = keysToRecord(host, out.seen);
    out.status.hostKey = keys.hostKey;
    out.status.bastionHostKey = keys.bastionHostKey;
    unexpected = unexpected ? new AggregateError([unexpected, pinError], `reconcile failed and so did recording the host key: ${String(pinError)}`) : pinError;
  }
  const generation = host.metadata.generation;
  const inputs = allConditions(out.conditions, stalledBy(out.conditions, failure));
  let conditions = host.status?.conditions;
  for (const input of inputs) conditions = setCondition(conditions, input, generation);
  const status: MachineHostStatus = {
    ...out.status,
    observedGeneration: unexpected ? host.status?.observedGeneration : generation,
    conditions: (conditions ?? []).filter((c) => (OWNED as readonly string[]).includes(c.type)),
  };
  try {
    await applyStatus(deps.client, machineHostResource, host, JSON.parse(JSON.stringify(status)), FIELD_MANAGER);
  } catch (error) {
    // Both failures matter: the reconcile's own, and that its status could not be written.
    throw unexpected ? new AggregateError([unexpected, error], `reconcile failed and so did its status write: ${String(error)}`) : error;
  }
  ctx.log.debug({ ready: inputs.find((c) => c.type === 'Ready')?.status }, 'status set');
  if (unexpected) throw unexpected;
  return result;
}

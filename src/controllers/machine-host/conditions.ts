import { isKubesmithError } from '../../errors.ts';
import { summarize, type ConditionInput } from '../../runtime/conditions.ts';
import { kstatusConditions, type StalledBy } from '../../runtime/kstatus.ts';

export const OWNED = ['Reachable', 'PreflightPassed', 'Prepared', 'Ready', 'Reconciling', 'Stalled'] as const;
export const SUMMARIZED = ['Reachable', 'PreflightPassed', 'Prepared'] as const;

export type Conditions = Record<(typeof SUMMARIZED)[number], ConditionInput>;

/** Where a reconcile starts: nothing known yet, each condition saying what it waits for. */
export function initialConditions(): Conditions {
  return {
    Reachable: { type: 'Reachable', status: 'Unknown', reason: 'NotChecked', message: 'not connected yet' },
    PreflightPassed: {
      type: 'PreflightPassed',
      status: 'Unknown',
      reason: 'WaitingForConnection',
      message: 'checks run once the host is reachable',
    },
    Prepared: { type: 'Prepared', status: 'Unknown', reason: 'WaitingForConnection', message: 'prepared once the host is reachable' },
  };
}

/** Errors reaching or logging in to the host: the host is not Reachable for them. */
export const CONNECTION_REASONS = new Set([
  'HostUnreachable',
  'AuthenticationFailed',
  'HostKeyMismatch',
  'SudoPasswordRequired',
  'SudoNotPermitted',
]);

/**
 * Nothing could be tried, so the host is not Reachable: the key Secret is missing, incomplete or
 * unusable, or a pinned host key is not a key line.
 */
export const NOT_TRIED_REASONS = new Set(['SshKeySecretMissing', 'SshKeyInvalid', 'HostKeyInvalid']);

/** Puts a failure on the condition of the phase it happened in (the later phases wait); returns that condition's type. */
export function recordFailure(conditions: Conditions, error: Error & { reason?: string }): keyof Conditions {
  const reason = error.reason ?? 'Error';
  const failed = (type: keyof Conditions): keyof Conditions => {
    conditions[type] = { type, status: 'False', reason, message: error.message };
    return type;
  };
  if (NOT_TRIED_REASONS.has(reason) || CONNECTION_REASONS.has(reason)) return failed('Reachable');
  if (reason === 'UnsupportedOperatingSystem') {
    conditions.Prepared = { type: 'Prepared', status: 'Unknown', reason: 'WaitingForPreflight', message: 'nothing is changed on an unsupported OS' };
    return failed('PreflightPassed');
  }
  if (conditions.Reachable.status !== 'True') return failed('Reachable');
  return failed('Prepared');
}

/**
 * What only a person can clear, for kstatus `Stalled`. The rule: Stalled is True exactly when the
 * host cannot get further until a person acts, which is
 * - the reconcile failed with an error whose `needsPerson` is true (HostKeyMismatch,
 *   AuthenticationFailed, SshKeyInvalid, HostKeyInvalid, SudoPasswordRequired, SudoNotPermitted,
 *   UnsupportedOperatingSystem), with that error's reason;
 * - PreflightPassed is False (ChecksFailed: too few CPUs or too little memory, a Kubernetes port
 *   taken, an identity shared with another host): re-checking alone never fixes these;
 * - Prepared is False with CannotPrepare (a kernel lacking what Kubernetes needs, no step can fix it).
 * Never for waiting: a missing key Secret (looked for again until it exists), an unreachable host or
 * a lost connection, a failed or timed-out command (retried), a paused host, or a bug.
 */
export function stalledBy(conditions: Conditions, error?: unknown): StalledBy | undefined {
  const stalled = (c: ConditionInput): StalledBy => ({ reason: c.reason, message: `${c.type}: ${c.message}` });
  if (isKubesmithError(error) && error.needsPerson) {
    const carrier = Object.values(conditions).find((c) => c.status === 'False' && c.reason === error.reason);
    return carrier ? stalled(carrier) : { reason: error.reason, message: error.message };
  }
  if (conditions.PreflightPassed.status === 'False') return stalled(conditions.PreflightPassed);
  if (conditions.Prepared.status === 'False' && conditions.Prepared.reason === 'CannotPrepare') return stalled(conditions.Prepared);
  return undefined;
}

/** Every condition the host owns: the phases', the Ready roll-up, and Reconciling and Stalled derived from it. */
export function allConditions(conditions: Conditions, stalled: StalledBy | undefined): ConditionInput[] {
  const phases = Object.values(conditions);
  const ready = summarize(phases, 'Ready', SUMMARIZED, 'Ready', 'reachable, checked and prepared');
  return [...phases, ready, ...kstatusConditions(ready, stalled)];
}

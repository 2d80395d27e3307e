import type { ConditionInput } from '../../runtime/conditions.ts';

export const OWNED = ['Reachable', 'PreflightPassed', 'Prepared', 'Ready'] as const;
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

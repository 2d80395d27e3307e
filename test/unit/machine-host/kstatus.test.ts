// The kstatus reading of a MachineHost (Flux and Argo CD): Stalled only for what a person must fix,
// Reconciling while it is on its way, both False once Ready.
import { describe, expect, it } from 'vitest';
import {
  allConditions,
  initialConditions,
  recordFailure,
  stalledBy,
  type Conditions,
} from '../../../src/controllers/machine-host/conditions.ts';
import { RecordedHostKeyInvalidError } from '../../../src/controllers/machine-host/host-key-pin.ts';
import { MissingKeyError } from '../../../src/controllers/machine-host/reconciler.ts';
import {
  AuthenticationFailedError,
  CommandFailedError,
  CommandTimeoutError,
  ConnectionLostError,
  HostKeyMismatchError,
  HostUnreachableError,
  SudoNotPermittedError,
  SudoPasswordRequiredError,
  UnsupportedOsError,
} from '../../../src/host/index.ts';
import type { KubesmithError } from '../../../src/errors.ts';
import type { ConditionInput } from '../../../src/runtime/conditions.ts';

const h = 'root@192.0.2.1:22';

/** The conditions a reconcile ends with after `error`, from a host that was reachable when `reachable`. */
function afterFailure(error: Error & { reason?: string }, reachable = false): ConditionInput[] {
  const conditions = initialConditions();
  if (reachable) conditions.Reachable = { type: 'Reachable', status: 'True', reason: 'Connected', message: 'logged in' };
  recordFailure(conditions, error);
  return allConditions(conditions, stalledBy(conditions, error));
}

function get(list: ConditionInput[], type: string): ConditionInput {
  const c = list.find((x) => x.type === type);
  if (!c) throw new Error(`no ${type} in ${JSON.stringify(list)}`);
  return c;
}

const needsPerson: [string, KubesmithError, string][] = [
  ['HostKeyMismatch', new HostKeyMismatchError(h, 'SHA256:old', { fingerprint: 'SHA256:new', line: 'ssh-ed25519 AAAA' }), 'Reachable'],
  ['AuthenticationFailed', new AuthenticationFailedError(h, 'the key was refused'), 'Reachable'],
  ['SudoPasswordRequired', new SudoPasswordRequiredError(h, 'ops'), 'Reachable'],
  ['SudoNotPermitted', new SudoNotPermittedError(h, 'ops', 'not in sudoers'), 'Reachable'],
  ['UnsupportedOperatingSystem', new UnsupportedOsError(h, 'Alpine Linux v3.20', ['debian']), 'PreflightPassed'],
  ['SshKeyInvalid', new MissingKeyError('"ssh-privatekey" in Secret ns/k is not a usable private key', 'SshKeyInvalid'), 'Reachable'],
  ['HostKeyInvalid', new RecordedHostKeyInvalidError('the recorded host key is not usable'), 'Reachable'],
];

describe('MachineHost kstatus conditions', () => {
  it.each(needsPerson)('%s needs a person: Stalled True with that reason, Reconciling False', (reason, error, carrier) => {
    expect(error.needsPerson).toBe(true);
    const list = afterFailure(error, carrier !== 'Reachable');
    expect(get(list, carrier)).toMatchObject({ status: 'False', reason });
    expect(get(list, 'Ready')).toMatchObject({ status: 'False', reason });
    expect(get(list, 'Stalled')).toMatchObject({ status: 'True', reason });
    expect(get(list, 'Stalled').message).toContain(`${carrier}: ${error.message}`);
    expect(get(list, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Stalled' });
  });

  const waiting: [string, KubesmithError, boolean][] = [
    ['a missing key Secret', new MissingKeyError('Secret ns/late does not exist'), false],
    ['an unreachable host', new HostUnreachableError(h, 'connection refused'), false],
    ['a lost connection', new ConnectionLostError(h, 'the connection closed'), true],
    ['a failed command', new CommandFailedError(h, 'sysctl -w', 1, 'busy'), true],
    ['a command that timed out', new CommandTimeoutError(h, 'sysctl -w', 1000), true],
  ];
  it.each(waiting)('%s is waiting: Reconciling True, Stalled False', (_what, error, reachable) => {
    expect(error.needsPerson).toBe(false);
    const list = afterFailure(error, reachable);
    expect(get(list, 'Ready')).toMatchObject({ status: 'False', reason: error.reason });
    expect(get(list, 'Reconciling')).toMatchObject({ status: 'True', reason: error.reason });
    expect(get(list, 'Stalled')).toMatchObject({ status: 'False', reason: 'NothingNeedsAPerson' });
  });

  it('a bug (not a KubesmithError) is not Stalled', () => {
    const list = afterFailure(new TypeError('x is undefined'), true);
    expect(get(list, 'Stalled').status).toBe('False');
    expect(get(list, 'Reconciling').status).toBe('True');
  });

  function checked(preflight: ConditionInput, prepared?: ConditionInput): Conditions {
    return {
      Reachable: { type: 'Reachable', status: 'True', reason: 'Connected', message: 'logged in' },
      PreflightPassed: preflight,
      Prepared: prepared ?? { type: 'Prepared', status: 'Unknown', reason: 'WaitingForPreflight', message: 'nothing is changed on a host that fails preflight' },
    };
  }

  it('a failed preflight (duplicate machine-id, too few CPUs) is Stalled with its reason', () => {
    const conditions = checked({ type: 'PreflightPassed', status: 'False', reason: 'ChecksFailed', message: '1 CPU found, at least 2 needed' });
    const list = allConditions(conditions, stalledBy(conditions));
    expect(get(list, 'Stalled')).toMatchObject({ status: 'True', reason: 'ChecksFailed', message: 'PreflightPassed: 1 CPU found, at least 2 needed' });
    expect(get(list, 'Reconciling')).toMatchObject({ status: 'False' });
  });

  it('a host no step can prepare is Stalled with CannotPrepare', () => {
    const passed: ConditionInput = { type: 'PreflightPassed', status: 'True', reason: 'Passed', message: 'every check passed' };
    const conditions = checked(passed, { type: 'Prepared', status: 'False', reason: 'CannotPrepare', message: 'kernel has no overlay' });
    expect(get(allConditions(conditions, stalledBy(conditions)), 'Stalled')).toMatchObject({ status: 'True', reason: 'CannotPrepare' });
  });

  it('a paused host is not Stalled', () => {
    const conditions = initialConditions();
    conditions.Reachable = { type: 'Reachable', status: 'Unknown', reason: 'Paused', message: 'spec.paused is true' };
    const list = allConditions(conditions, stalledBy(conditions));
    expect(get(list, 'Stalled').status).toBe('False');
    expect(get(list, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Paused' });
  });

  it('a Ready host: Reconciling False and Stalled False', () => {
    const conditions = checked(
      { type: 'PreflightPassed', status: 'True', reason: 'PassedWithWarnings', message: 'warnings: cgroup v1' },
      { type: 'Prepared', status: 'True', reason: 'Prepared', message: 'swap off' },
    );
    const list = allConditions(conditions, stalledBy(conditions));
    expect(list.map((c) => c.type)).toEqual(['Reachable', 'PreflightPassed', 'Prepared', 'Ready', 'Reconciling', 'Stalled']);
    expect(get(list, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(get(list, 'Reconciling')).toMatchObject({ status: 'False', reason: 'Converged' });
    expect(get(list, 'Stalled')).toMatchObject({ status: 'False', reason: 'NothingNeedsAPerson' });
  });

  it('before the first connection: Reconciling True, Stalled False', () => {
    const conditions = initialConditions();
    const list = allConditions(conditions, stalledBy(conditions));
    expect(get(list, 'Ready').status).toBe('Unknown');
    expect(get(list, 'Reconciling').status).toBe('True');
    expect(get(list, 'Stalled').status).toBe('False');
  });
});

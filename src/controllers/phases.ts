// A reconcile as an ordered list of phases. Each phase owns one condition and names the conditions
// it needs; one runner decides what runs, what waits and what failed, so a controller never passes
// readiness between phases by hand or guesses which one an error came from. The ControlPlane,
// WorkerPool and NetworkAddon controllers share it.
import { KubesmithError } from '../errors.ts';
import { summarize, type ConditionInput, type ConditionStatus } from '../runtime/conditions.ts';
import type { StalledBy } from '../runtime/kstatus.ts';
import type { Logger } from '../runtime/logger.ts';

export interface PhaseOutcome {
  status: ConditionStatus;
  reason: string;
  message: string;
  /** Run again this soon, even if nothing changes. */
  requeueAfterMs?: number;
  /** Only a person can clear it (kstatus Stalled). */
  needsPerson?: boolean;
}

export interface Phase<S> {
  /** The condition this phase owns; True means its part of the object is as the spec says. */
  condition: string;
  /** Conditions that must be True before this phase runs. */
  needs: readonly string[];
  /** What the phase does, for the message while it waits: "etcd is installed". */
  does: string;
  run(scope: S): Promise<PhaseOutcome>;
  /** Undoes what run did, on deletion; phases are torn down in reverse order. */
  teardown?(scope: S): Promise<void>;
  /**
   * Other objects wait on this condition: once it turns True it is published at once, before the
   * later phases run, so they need not wait for the end of a long reconcile.
   */
  publishes?: boolean;
}

/** Writes the report so far (the phases run until now); see Phase.publishes. */
export type Publish = (partial: PhaseReport) => Promise<void>;

export interface RunOptions {
  /** Stops the run before the next phase (shutdown or lost leadership). */
  signal?: AbortSignal;
  publish?: Publish;
  /** Each phase that ran is logged at debug level with its outcome and duration: where a slow reconcile spends its time. */
  log?: Logger;
}

export interface PhaseReport {
  /** One per phase, in list order. */
  conditions: ConditionInput[];
  /** The soonest requeue any phase asked for. */
  requeueAfterMs?: number;
  /**
   * A phase failed or waits without saying when to look again: try again after the controller's
   * retry interval. Without it, a phase that is not True waits for a watch or for its own requeue.
   */
  retry?: boolean;
  /** The first phase that needs a person, if any. */
  stalledBy?: StalledBy;
  /** An error that is not a KubesmithError: a bug, rethrown after the status is written. */
  unexpected?: unknown;
}

/** The reconcile was stopped (shutdown or lost leadership) before this point. */
export class ReconcileAbortedError extends KubesmithError {
  readonly reason = 'Aborted';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReconcileAbortedError('the reconcile was stopped (shutdown or lost leadership) before it finished');
}

function waitingFor<S>(phase: Phase<S>, need: ConditionInput): ConditionInput {
  return {
    type: phase.condition,
    status: 'False',
    reason: `WaitingFor${need.type}`,
    // The need's own reason, not its message: a chain of waiting phases would nest messages otherwise.
    message: `${phase.does} once ${need.type} is True; it is ${need.status} (${need.reason})`,
  };
}

/** What each condition says before its phase has ever run: waiting for its first need. */
export function initialConditions<S>(phases: readonly Phase<S>[]): ConditionInput[] {
  return phases.map((phase) =>
    phase.needs.length === 0
      ? { type: phase.condition, status: 'Unknown', reason: 'NotChecked', message: 'not looked at yet' }
      : { type: phase.condition, status: 'Unknown', reason: `WaitingFor${phase.needs[0]}`, message: `${phase.does} once ${phase.needs[0]} is True` },
  );
}

function failed(condition: string, error: unknown): { input: ConditionInput; needsPerson: boolean } {
  if (error instanceof KubesmithError) {
    return { input: { type: condition, status: 'False', reason: error.reason, message: error.message }, needsPerson: error.needsPerson };
  }
  const message = `unexpected error, reported as a bug: ${error instanceof Error ? error.message : String(error)}`;
  return { input: { type: condition, status: 'False', reason: 'InternalError', message }, needsPerson: false };
}

/**
 * Runs the phases in order. A phase whose needs are not all True is not run and says what it waits
 * for; an error ends only the phase it came from (later phases that need it wait). The signal is
 * checked before each phase: a stopped reconcile changes nothing more.
 */
export async function runPhases<S>(phases: readonly Phase<S>[], scope: S, options: RunOptions = {}): Promise<PhaseReport> {
  const { signal, publish, log } = options;
  const done = new Map<string, ConditionInput>();
  const report: PhaseReport = { conditions: [] };
  const requeue = (ms: number | undefined) => {
    if (ms !== undefined) report.requeueAfterMs = Math.min(report.requeueAfterMs ?? Infinity, ms);
  };
  for (const phase of phases) {
    const unmet = phase.needs.map((need) => done.get(need)).find((c) => c?.status !== 'True');
    let input: ConditionInput;
    if (unmet) {
      input = waitingFor(phase, unmet);
    } else if (signal?.aborted || report.unexpected) {
      // After a bug or a stop nothing more runs; the phase says so instead of a stale state.
      input = failed(phase.condition, new ReconcileAbortedError('not run: the reconcile stopped at an earlier phase')).input;
    } else {
      const started = Date.now();
      try {
        const outcome = await phase.run(scope);
        input = { type: phase.condition, status: outcome.status, reason: outcome.reason, message: outcome.message };
        requeue(outcome.requeueAfterMs);
        if (outcome.status !== 'True' && outcome.requeueAfterMs === undefined && !outcome.needsPerson) report.retry = true;
        if (outcome.needsPerson) report.stalledBy ??= { reason: outcome.reason, message: `${phase.condition}: ${outcome.message}` };
      } catch (error) {
        const failure = failed(phase.condition, error);
        input = failure.input;
        if (failure.needsPerson) report.stalledBy ??= { reason: input.reason, message: `${phase.condition}: ${input.message}` };
        else report.retry = true;
        if (!(error instanceof KubesmithError)) report.unexpected = error;
      }
      log?.debug({ phase: phase.condition, status: input.status, reason: input.reason, ms: Date.now() - started }, 'phase ran');
    }
    done.set(phase.condition, input);
    report.conditions.push(input);
    if (phase.publishes && input.status === 'True' && publish) await publish({ ...report, conditions: [...report.conditions] });
  }
  return report;
}

export interface RequeueTiming {
  /** How often a converged object is checked again. */
  recheckIntervalMs: number;
  /** How soon a failing one is tried again. */
  retryMs: number;
}

/** When to reconcile again after this report, whose roll-up is `ready`. */
export function nextReconcileMs(report: PhaseReport, ready: ConditionInput, timing: RequeueTiming): number {
  if (report.stalledBy) return Math.max(timing.retryMs, 60_000);
  const asked = report.requeueAfterMs ?? Infinity;
  if (ready.status === 'True' || !report.retry) return Math.min(timing.recheckIntervalMs, asked);
  return Math.min(timing.retryMs, asked);
}

/** The roll-up of every phase's condition: the first False decides, then the first Unknown. */
export function readyCondition(report: PhaseReport, type: string, trueMessage: string): ConditionInput {
  const types = report.conditions.map((c) => c.type);
  return summarize(report.conditions, type, types, type, trueMessage);
}

export interface TeardownOptions {
  signal?: AbortSignal;
  /** Whether the teardown goes on past this error (a host that cannot be reached, say); it stops when absent. */
  goOn?: (condition: string, error: unknown) => boolean;
  /** Each teardown is logged at debug level with its duration. */
  log?: Logger;
}

/**
 * Tears the phases down in reverse order. An error stops the teardown unless `goOn` says otherwise,
 * so nothing a later-torn-down phase relies on is removed while an earlier step is unfinished.
 */
export async function teardownPhases<S>(phases: readonly Phase<S>[], scope: S, options: TeardownOptions = {}): Promise<void> {
  for (const phase of [...phases].reverse()) {
    throwIfAborted(options.signal);
    if (!phase.teardown) continue;
    const started = Date.now();
    try {
      await phase.teardown(scope);
      options.log?.debug({ phase: phase.condition, ms: Date.now() - started }, 'phase torn down');
    } catch (error) {
      options.log?.debug({ phase: phase.condition, ms: Date.now() - started, error: error instanceof Error ? error.message : String(error) }, 'phase teardown failed');
      if (!options.goOn?.(phase.condition, error)) throw error;
    }
  }
}

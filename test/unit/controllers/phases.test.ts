import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KubesmithError } from '../../../src/errors.ts';
import { initialConditions, nextReconcileMs, readyCondition, runPhases, teardownPhases, type Phase } from '../../../src/controllers/phases.ts';

class Refused extends KubesmithError {
  readonly reason = 'KeyRefused';
  override readonly needsPerson = true;
}
class Flaky extends KubesmithError {
  readonly reason = 'HostUnreachable';
}

interface Scope {
  ran: string[];
  torn: string[];
}

function phase(condition: string, needs: string[], run: Phase<Scope>['run'] = async () => ({ status: 'True', reason: 'Done', message: 'done' })): Phase<Scope> {
  return {
    condition,
    needs,
    does: `${condition} is done`,
    run: async (scope) => {
      scope.ran.push(condition);
      return run(scope);
    },
    teardown: async (scope) => {
      scope.torn.push(condition);
    },
  };
}

const scope = (): Scope => ({ ran: [], torn: [] });

describe('the phase runner', () => {
  it('publishes a publishing phase’s condition as soon as it is True, before the later phases run', async () => {
    const s = scope();
    const published: string[][] = [];
    const publish = async ({ conditions }: { conditions: readonly { type: string; status: string }[] }) => {
      published.push([...s.ran, '|', ...conditions.map((c) => `${c.type}=${c.status}`)]);
    };
    const gate = { ...phase('B', ['A']), publishes: true };
    await runPhases([phase('A', []), gate, phase('C', ['B'])], s, { publish });
    expect(published).toEqual([['A', 'B', '|', 'A=True', 'B=True']]);
    // Not while it is False: nothing waiting on it could start.
    published.length = 0;
    const failing = { ...phase('B', ['A'], async () => ({ status: 'False', reason: 'NotYet', message: 'not yet' })), publishes: true };
    await runPhases([phase('A', []), failing, phase('C', ['B'])], scope(), { publish });
    expect(published).toEqual([]);
  });

  it('runs the phases in order and rolls them up into Ready', async () => {
    const s = scope();
    const report = await runPhases([phase('A', []), phase('B', ['A']), phase('C', ['B'])], s);
    expect(s.ran).toEqual(['A', 'B', 'C']);
    expect(report.conditions.map((c) => [c.type, c.status])).toEqual([['A', 'True'], ['B', 'True'], ['C', 'True']]);
    expect(readyCondition(report, 'Ready', 'all good')).toMatchObject({ status: 'True', message: 'all good' });
    expect(report.stalledBy).toBeUndefined();
  });

  it('does not run a phase whose needs are not True, and says what it waits for', async () => {
    const s = scope();
    const waiting = async () => ({ status: 'False' as const, reason: 'WaitingForHosts', message: '1 of 3 hosts' });
    const report = await runPhases([phase('A', [], waiting), phase('B', ['A']), phase('C', [])], s);
    expect(s.ran).toEqual(['A', 'C']);
    expect(report.conditions[1]).toEqual({
      type: 'B',
      status: 'False',
      reason: 'WaitingForA',
      message: 'B is done once A is True; it is False (WaitingForHosts)',
    });
    expect(readyCondition(report, 'Ready', '')).toMatchObject({ status: 'False', reason: 'WaitingForHosts', message: 'A: 1 of 3 hosts' });
    expect(report.stalledBy).toBeUndefined();
  });

  it('records an error on the phase that was running, with its reason, and stalls only on what needs a person', async () => {
    const s = scope();
    const report = await runPhases(
      [
        phase('A', [], async () => {
          throw new Flaky('host down');
        }),
        phase('B', [], async () => {
          throw new Refused('key refused; fix the Secret');
        }),
        phase('C', ['A']),
      ],
      s,
    );
    expect(report.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['A', 'False', 'HostUnreachable'],
      ['B', 'False', 'KeyRefused'],
      ['C', 'False', 'WaitingForA'],
    ]);
    expect(report.stalledBy).toEqual({ reason: 'KeyRefused', message: 'B: key refused; fix the Secret' });
    expect(report.unexpected).toBeUndefined();
  });

  it('treats a bare Error as a bug: reported, later phases not run, the error kept to rethrow', async () => {
    const s = scope();
    const bug = new Error('undefined is not a function');
    const report = await runPhases([phase('A', [], async () => Promise.reject(bug)), phase('B', [])], s);
    expect(s.ran).toEqual(['A']);
    expect(report.conditions[0]).toMatchObject({ status: 'False', reason: 'InternalError' });
    expect(report.conditions[0]!.message).toContain('undefined is not a function');
    expect(report.conditions[1]).toMatchObject({ status: 'False', reason: 'Aborted' });
    expect(report.unexpected).toBe(bug);
  });

  it('takes the soonest requeue any phase asked for', async () => {
    const after = (ms: number) => async () => ({ status: 'True' as const, reason: 'Done', message: '', requeueAfterMs: ms });
    const report = await runPhases([phase('A', [], after(30_000)), phase('B', [], after(5_000)), phase('C', [])], scope());
    expect(report.requeueAfterMs).toBe(5_000);
  });

  it('retries a phase that failed or waits without a time of its own, and leaves one that said when to its own requeue', async () => {
    const timing = { recheckIntervalMs: 300_000, retryMs: 15_000 };
    const next = async (...phases: Phase<Scope>[]) => {
      const report = await runPhases(phases, scope());
      return nextReconcileMs(report, readyCondition(report, 'Ready', 'ok'), timing);
    };
    const waiting = (requeueAfterMs?: number) => async () => ({ status: 'False' as const, reason: 'Waiting', message: '', requeueAfterMs });
    // Waiting on another object, whose watch brings the change: the hint, however long.
    expect(await next(phase('A', [], waiting(60_000)))).toBe(60_000);
    expect(await next(phase('A', [], waiting(2_000)))).toBe(2_000);
    // No hint: the retry interval, even when another phase asked for later.
    expect(await next(phase('A', [], waiting()), phase('B', [], waiting(60_000)))).toBe(15_000);
    expect(await next(phase('A', [], async () => Promise.reject(new Flaky('down'))), phase('B', [], waiting(60_000)))).toBe(15_000);
    // A person must act: at most once a minute.
    expect(await next(phase('A', [], async () => Promise.reject(new Refused('no'))))).toBe(60_000);
    // Converged: the recheck interval.
    expect(await next(phase('A', []))).toBe(300_000);
  });

  it('runs nothing once the signal is aborted', async () => {
    const s = scope();
    const stop = new AbortController();
    const report = await runPhases(
      [
        phase('A', [], async () => {
          stop.abort();
          return { status: 'True', reason: 'Done', message: '' };
        }),
        phase('B', []),
      ],
      s,
      { signal: stop.signal },
    );
    expect(s.ran).toEqual(['A']);
    expect(report.conditions[1]).toMatchObject({ status: 'False', reason: 'Aborted' });
  });

  it('logs each phase that ran, with its outcome and how long it took, and none that waited', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const log = pino({ level: 'debug' }, sink);
    const slow = phase('A', [], async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { status: 'False', reason: 'Slow', message: '' };
    });
    await runPhases([slow, phase('B', ['A']), phase('C', [])], scope(), { log });
    const records = lines.map((l) => JSON.parse(l) as { phase: string; status: string; reason: string; ms: number; msg: string });
    expect(records.map((r) => [r.msg, r.phase, r.status, r.reason])).toEqual([
      ['phase ran', 'A', 'False', 'Slow'],
      ['phase ran', 'C', 'True', 'Done'],
    ]);
    expect(records[0]!.ms).toBeGreaterThanOrEqual(19);
  });

  it('derives the initial conditions from the list', () => {
    expect(initialConditions([phase('A', []), phase('B', ['A'])])).toEqual([
      { type: 'A', status: 'Unknown', reason: 'NotChecked', message: 'not looked at yet' },
      { type: 'B', status: 'Unknown', reason: 'WaitingForA', message: 'B is done once A is True' },
    ]);
  });

  it('tears down in reverse order, stopping at an error unless told to go on', async () => {
    const s = scope();
    await teardownPhases([phase('A', []), phase('B', []), phase('C', [])], s);
    expect(s.torn).toEqual(['C', 'B', 'A']);

    const failing: Phase<Scope> = { ...phase('B', []), teardown: async () => Promise.reject(new Flaky('host down')) };
    const stopped = scope();
    await expect(teardownPhases([phase('A', []), failing, phase('C', [])], stopped)).rejects.toThrow('host down');
    expect(stopped.torn).toEqual(['C']);

    const onward = scope();
    const seen: string[] = [];
    await teardownPhases([phase('A', []), failing, phase('C', [])], onward, { goOn: (condition) => (seen.push(condition), true) });
    expect(onward.torn).toEqual(['C', 'A']);
    expect(seen).toEqual(['B']);
  });
});

import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { settleAll } from '../../../src/controllers/settle.ts';
import { KubesmithError } from '../../../src/errors.ts';

class Unreachable extends KubesmithError {
  readonly reason = 'HostUnreachable';
}

/** Work on a host that runs until the test lets it finish, and records when it did. */
function slowWork(events: string[]) {
  const gate = Promise.withResolvers<void>();
  const work = (async () => {
    await gate.promise;
    events.push('slow work ended');
    return 'slow';
  })();
  return { work, finish: () => gate.resolve() };
}

describe('settleAll', () => {
  it('reports a failure only after the work still running on other hosts has ended, unlike Promise.all', async () => {
    const events: string[] = [];
    const slow = slowWork(events);
    const failure = new Unreachable('host-2 did not answer');
    const work = [slow.work, Promise.reject(failure), Promise.resolve('fast')];

    const settled = settleAll(work).then(
      () => events.push('settleAll resolved'),
      (error: unknown) => events.push(`settleAll rejected: ${(error as Error).message}`),
    );
    // Why settleAll exists: Promise.all gives up at the first failure while a host is still being written to.
    await Promise.all(work).catch(() => events.push('Promise.all rejected'));
    await nextTurn();
    expect(events).toEqual(['Promise.all rejected']);

    slow.finish();
    await settled;
    expect(events).toEqual(['Promise.all rejected', 'slow work ended', 'settleAll rejected: host-2 did not answer']);
  });

  it('rejects with the very error that failed', async () => {
    const failure = new Unreachable('host-2 did not answer');
    await expect(settleAll([Promise.resolve(1), Promise.reject(failure)])).rejects.toBe(failure);
  });

  it('prefers an unexpected error over an ordinary failure, wherever it is in the list', async () => {
    const ordinary = new Unreachable('host-1 did not answer');
    const bug = new TypeError('cannot read properties of undefined');
    await expect(settleAll([Promise.reject(ordinary), Promise.reject(bug)])).rejects.toBe(bug);
    await expect(settleAll([Promise.reject(bug), Promise.reject(ordinary)])).rejects.toBe(bug);
  });

  it('returns every value in list order, not in the order the work finished', async () => {
    const gates = [0, 1, 2].map(() => Promise.withResolvers<string>());
    const all = settleAll(gates.map((g) => g.promise));
    gates[2]!.resolve('c');
    gates[0]!.resolve('a');
    gates[1]!.resolve('b');
    expect(await all).toEqual(['a', 'b', 'c']);
    expect(await settleAll([])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/runtime/work-queue.ts';

describe('WorkQueue', () => {
  it('collapses adds of a waiting key into one', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key being processed; a key added meanwhile runs once more afterwards', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    const second = q.get();
    let handed = false;
    void second.then(() => (handed = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(handed).toBe(false);
    q.done(first!);
    expect(await second).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('backs off exponentially per key and resets on forget', () => {
    const q = new WorkQueue({ baseMs: 5, capMs: 1000 });
    const delays = Array.from({ length: 10 }, () => q.addRateLimited('a'));
    expect(delays).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(q.addRateLimited('b')).toBe(5);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(5);
    q.shutDown();
  });

  it('delivers a delayed add after its delay, keeping the earliest of several', async () => {
    const q = new WorkQueue();
    const started = Date.now();
    q.addAfter('a', 200);
    q.addAfter('a', 40);
    q.addAfter('a', 300);
    expect(await q.get()).toBe('a');
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(35);
    expect(waited).toBeLessThan(190);
    q.shutDown();
  });

  it('releases waiting workers on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(await q.get()).toBeUndefined();
  });
});

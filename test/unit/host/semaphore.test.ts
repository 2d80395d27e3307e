import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/host/semaphore.ts';

describe('semaphore', () => {
  it('never runs more tasks than its limit, with tasks arriving while others finish', async () => {
    const s = new Semaphore(2);
    let running = 0;
    let most = 0;
    const task = async () => {
      most = Math.max(most, ++running);
      await sleep(5);
      running--;
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 3 === 0 ? sleep(1).then(() => s.run(task)) : s.run(task))));
    expect(most).toBe(2);
    expect(s.peak).toBe(2);
    expect(s.active).toBe(0);
  });

  it('releases the slot when a task fails', async () => {
    const s = new Semaphore(1);
    await expect(s.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await s.run(async () => 'next')).toBe('next');
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BusyTime } from '../../../src/host/counters.ts';
import { processWorkloadApi, WorkloadApi } from '../../../src/workload/api.ts';

describe('the time WorkloadApi requests take', () => {
  it('counts every request on its clock, refused and absent ones too', async () => {
    const time = new BusyTime();
    const api = new WorkloadApi(async ({ path }) => {
      await sleep(20);
      return path === '/missing' ? { status: 404, body: '{}' } : path === '/refused' ? { status: 403, body: '{"message":"no"}' } : { status: 200, body: '{"ok":true}' };
    }, time);
    expect(await api.get('/found')).toEqual({ ok: true });
    expect(await api.get('/missing')).toBeUndefined();
    await expect(api.json('GET', '/refused')).rejects.toThrow('GET /refused answered 403: no');
    const { ops, ms, wallMs } = time.read();
    expect(ops).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(55);
    expect(wallMs).toBeCloseTo(ms, 0);
  });

  it('counts on the process-wide clock when given none', async () => {
    const before = processWorkloadApi.read().ops;
    await new WorkloadApi(async () => ({ status: 200, body: '' })).json('DELETE', '/x');
    expect(processWorkloadApi.read().ops - before).toBe(1);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BusyTime, busySince, processSsh, SshCounters } from '../../../src/host/counters.ts';

describe('BusyTime', () => {
  it('sums overlapping operations, and counts the wall time only once while any is under way', async () => {
    const busy = new BusyTime();
    const t0 = performance.now();
    const a = busy.start();
    const b = busy.start();
    await sleep(40);
    a();
    a();
    await sleep(40);
    b();
    const t1 = performance.now();
    await sleep(40);
    const { ops, ms, wallMs } = busy.read();
    expect(ops).toBe(2);
    // a ran ~40 ms, b ~80 ms; the wall time is b's alone, and the idle 40 ms after it count nowhere.
    expect(ms).toBeGreaterThanOrEqual(115);
    expect(wallMs).toBeGreaterThanOrEqual(75);
    expect(wallMs).toBeLessThan(ms - 30);
    expect(wallMs).toBeLessThanOrEqual(t1 - t0);
  });

  it('includes a stretch still under way in a reading, feeds its parent, and differences readings', async () => {
    const parent = new BusyTime();
    const busy = new BusyTime(parent);
    const before = busy.read();
    const result = await busy.time(async () => {
      await sleep(30);
      expect(busy.read().wallMs).toBeGreaterThanOrEqual(25);
      expect(busy.read().ops).toBe(0);
      return 'done';
    });
    expect(result).toBe('done');
    await expect(busy.time(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    const since = busySince(busy.read(), before);
    expect(since.ops).toBe(2);
    expect(parent.read().ops).toBe(2);
    expect(parent.read().wallMs).toBeCloseTo(busy.read().wallMs, 0);
  });
});

describe('SshCounters', () => {
  it('times each host’s commands, those that run systemctl apart, with the bytes sent, and feeds the process-wide clocks', async () => {
    const counters = new SshCounters();
    const all = processSsh.commands.read();
    const allSystemd = processSsh.systemd.read();
    const plain = counters.command('root@10.0.0.2:22', 'cat /etc/os-release');
    const unit = counters.command('root@10.0.0.2:22', "sudo -n sh -c 'systemctl daemon-reload && systemctl restart kubelet'");
    const other = counters.command('root@10.0.0.3:22', 'install -m 0644 /dev/stdin /etc/x');
    await sleep(30);
    plain(0);
    unit(0);
    unit(999);
    other(4096);

    expect(counters.forHost('root@10.0.0.2:22')).toEqual({ connections: 0, roundTrips: 2 });
    expect(counters.total()).toEqual({ connections: 0, roundTrips: 3 });
    const host = counters.timeForHost('root@10.0.0.2:22');
    expect(host.busyMs).toBeGreaterThanOrEqual(50);
    expect(host.systemdMs).toBeGreaterThanOrEqual(25);
    expect(host.systemdMs).toBeLessThan(host.busyMs);
    expect(host.bytesSent).toBe(0);
    expect(counters.timeForHost('root@10.0.0.3:22')).toMatchObject({ systemdMs: 0, bytesSent: 4096 });
    expect(counters.timeForHost('root@10.0.0.9:22')).toEqual({ busyMs: 0, systemdMs: 0, bytesSent: 0 });
    const total = counters.timeTotal();
    expect(total.busyMs).toBeCloseTo(host.busyMs + counters.timeForHost('root@10.0.0.3:22').busyMs);
    expect(total.bytesSent).toBe(4096);

    // Three commands at once: the wall time is one of them, for these counters and for the process.
    const wall = counters.commands.read();
    expect(wall.ops).toBe(3);
    expect(wall.wallMs).toBeGreaterThanOrEqual(25);
    expect(wall.wallMs).toBeLessThan(total.busyMs - 25);
    expect(counters.systemd.read().ops).toBe(1);
    expect(busySince(processSsh.commands.read(), all).ops).toBe(3);
    expect(busySince(processSsh.systemd.read(), allSystemd).ops).toBe(1);
  });

  it('keeps the counts of a connection apart from the times', () => {
    const counters = new SshCounters();
    counters.connected('root@10.0.0.2:22');
    counters.command('root@10.0.0.2:22', 'true')(0);
    expect(counters.snapshot()).toEqual({ 'root@10.0.0.2:22': { connections: 1, roundTrips: 1 } });
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CommandFailedError,
  CommandTimeoutError,
  endpointLabel,
  HostUnreachableError,
  REDACTED,
  SshPool,
  type HostChange,
  type UnreachableHosts,
} from '../../../src/host/index.ts';
import { loginOf, startHosts, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
beforeAll(async () => {
  world = await startHosts(2, { image: inject('hostImage'), prefix: 'exec' });
});
afterAll(async () => {
  await world?.stop();
});

const host = (i: number) => world.hosts[i] as (typeof world.hosts)[number];

describe('exec', () => {
  it('returns the exit code, stdout and stderr, and runs as root', async () => {
    const pool = new SshPool();
    try {
      const result = await pool.withHost(loginOf(host(0)), (s) => s.exec('id -u; echo to-stderr >&2; exit 3'));
      expect(result).toMatchObject({ exitCode: 3, stdout: '0\n', stderr: 'to-stderr\n' });
    } finally {
      pool.dispose();
    }
  });

  it('check throws CommandFailedError naming the command, exit code and the last stderr lines', async () => {
    const pool = new SshPool();
    try {
      const error = await pool
        .withHost(loginOf(host(0)), (s) => s.check('for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; exit 9'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandFailedError);
      const failed = error as CommandFailedError;
      expect(failed.exitCode).toBe(9);
      expect(failed.command).toContain('echo line$i');
      expect(failed.stderrTail).toBe('line3\nline4\nline5\nline6\nline7');
      expect(failed.message).toContain('exited with 9');
      expect(failed.reason).toBe('CommandFailed');
    } finally {
      pool.dispose();
    }
  });

  it('stops a command at its timeout, children included, and the connection stays usable', async () => {
    const pool = new SshPool();
    try {
      await pool.withHost(loginOf(host(0)), async (s) => {
        const started = Date.now();
        const error = await s.exec('sleep 31 & sleep 32; touch /root/not-reached', { timeoutMs: 1_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CommandTimeoutError);
        expect((error as CommandTimeoutError).timeoutMs).toBe(1_000);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect((await s.check('echo still-here')).stdout).toBe('still-here\n');
      });
      const leftovers = await host(0).run("pgrep -f 'sleep 3[12]' || true; test -e /root/not-reached && echo reached || true");
      expect(leftovers.stdout.trim()).toBe('');
    } finally {
      pool.dispose();
    }
  });

  it('opens no more channels on a connection than its bound', async () => {
    const pool = new SshPool({ maxChannels: 3 });
    try {
      const spans = await pool.withHost(loginOf(host(0)), async (s) => {
        const runs = await Promise.all(Array.from({ length: 9 }, () => s.check('date +%s%N; sleep 0.3; date +%s%N')));
        return runs.map((r) => r.stdout.trim().split('\n').map(BigInt) as [bigint, bigint]);
      });
      // Overlap as the host saw it, from the clock on the host.
      const events = spans.flatMap(([start, end]) => [
        { at: start, delta: 1 },
        { at: end, delta: -1 },
      ]);
      events.sort((a, b) => (a.at === b.at ? a.delta - b.delta : a.at < b.at ? -1 : 1));
      let running = 0;
      let most = 0;
      for (const e of events) most = Math.max(most, (running += e.delta));
      expect(most).toBe(3);
    } finally {
      pool.dispose();
    }
  });

  it('keeps one connection per host across units of work and counts round trips', async () => {
    const pool = new SshPool();
    try {
      for (let i = 0; i < 3; i++) await pool.withHost(loginOf(host(0)), (s) => s.check('true'));
      await pool.withHost(loginOf(host(1)), (s) => s.check('true'));
      expect(pool.counters.forHost(endpointLabel(loginOf(host(0))))).toEqual({ connections: 1, roundTrips: 3 });
      expect(pool.counters.total()).toEqual({ connections: 2, roundTrips: 4 });
    } finally {
      pool.dispose();
    }
  });

  it('works on no more hosts at once than its bound', async () => {
    const pool = new SshPool({ maxHosts: 1 });
    try {
      const spans = await Promise.all(
        [0, 1].map((i) =>
          pool.withHost(loginOf(host(i)), async (s) => {
            const start = Date.now();
            await s.check('sleep 0.3');
            return [start, Date.now()] as const;
          }),
        ),
      );
      const [a, b] = spans.sort((x, y) => x[0] - y[0]) as [readonly [number, number], readonly [number, number]];
      expect(b[0]).toBeGreaterThanOrEqual(a[1]);
      expect(pool.hostsActive.peak).toBe(1);
    } finally {
      pool.dispose();
    }
  });

  it('tells the observer of each changing command, with secrets redacted', async () => {
    const pool = new SshPool();
    const token = 'tok-4c1d2e9f7a';
    const changes: HostChange[] = [];
    try {
      const failure = await pool.withHost(
        loginOf(host(0)),
        async (s) => {
          await s.check(`printf %s ${token} > /root/token`, { changes: 'stored the join token' });
          await s.check('cat /root/token');
          return s.check(`echo bad ${token} >&2; exit 4`, { changes: true }).catch((e: unknown) => e);
        },
        { observer: (c) => changes.push(c), secrets: [token] },
      );
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatchObject({ description: 'stored the join token', exitCode: 0, command: `printf %s ${REDACTED} > /root/token` });
      expect(changes[1]).toMatchObject({ exitCode: 4 });
      expect(JSON.stringify(changes)).not.toContain(token);
      expect(failure).toBeInstanceOf(CommandFailedError);
      expect((failure as Error).message).not.toContain(token);
      expect((await host(0).run('cat /root/token')).stdout).toBe(token);
    } finally {
      pool.dispose();
    }
  });

  it('reports a host whose sshd does not answer as unreachable', async () => {
    const pool = new SshPool();
    try {
      await host(1).run('systemctl stop ssh');
      const error = await pool.withHost(loginOf(host(1)), (s) => s.check('true')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostUnreachableError);
      expect((error as Error).message).toContain(host(1).address);
      await host(1).run('systemctl start ssh');
      expect((await pool.withHost(loginOf(host(1)), (s) => s.check('echo back'))).stdout).toBe('back\n');
    } finally {
      pool.dispose();
    }
  });

  it('does not try a host again within the work that found it unreachable, and tries it afresh after', async () => {
    const pool = new SshPool();
    const unreachable: UnreachableHosts = new Map();
    try {
      await host(1).run('systemctl stop ssh');
      const first = await pool.withHost(loginOf(host(1)), (s) => s.check('true'), { unreachable }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(HostUnreachableError);
      await host(1).run('systemctl start ssh');
      // sshd answers again, but this work already knows the host as unreachable: neither a session nor a tunnel tries it.
      await expect(pool.withHost(loginOf(host(1)), (s) => s.check('true'), { unreachable })).rejects.toBe(first);
      await expect(pool.openTunnel(loginOf(host(1)), '127.0.0.1', 22, { unreachable })).rejects.toBe(first);
      expect((await pool.withHost(loginOf(host(1)), (s) => s.check('echo back'), { unreachable: new Map() })).stdout).toBe('back\n');
    } finally {
      pool.dispose();
    }
  });

  it('keeps a host reachable whose tunnel finds nothing listening', async () => {
    const pool = new SshPool();
    const unreachable: UnreachableHosts = new Map();
    try {
      const refused = await pool.openTunnel(loginOf(host(0)), '127.0.0.1', 1, { unreachable }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HostUnreachableError);
      expect(unreachable.size).toBe(0);
      expect((await pool.withHost(loginOf(host(0)), (s) => s.check('echo here'), { unreachable })).stdout).toBe('here\n');
    } finally {
      pool.dispose();
    }
  });
});

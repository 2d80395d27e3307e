import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { endpointLabel, HostKeyMismatchError, HostUnreachableError, SshPool, type HostTarget } from '../../../src/host/index.ts';
import { loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
let jump: TestHost;
let inner: TestHost;
let pool: SshPool;
beforeAll(async () => {
  world = await startHosts(2, { image: inject('hostImage'), prefix: 'bastion' });
  [jump, inner] = world.hosts as [TestHost, TestHost];
  pool = new SshPool();
});
afterAll(async () => {
  pool?.dispose();
  await world?.stop();
});

const through = (overrides: Partial<HostTarget> = {}): HostTarget => ({
  ...loginOf(inner),
  hostKey: inner.hostKey,
  bastion: { ...loginOf(jump), hostKey: jump.hostKey },
  ...overrides,
});

describe('a bastion', () => {
  it('carries the connection to the host, each checked against its own key', async () => {
    const target = through();
    const seen = await pool.withHost(target, async (s) => ({
      hostname: (await s.check('hostname')).stdout.trim(),
      // sshd on the inner host names the peer it accepted the connection from.
      peer: (await s.check('echo $SSH_CLIENT')).stdout.split(' ')[0],
      bastionKey: s.bastionHostKey?.line,
      hostKey: s.hostKey.line,
    }));
    expect(seen).toEqual({ hostname: 'bastion-2', peer: jump.address, bastionKey: jump.hostKey, hostKey: inner.hostKey });
    expect(pool.counters.forHost(endpointLabel(loginOf(jump))).connections).toBe(1);
    expect(pool.counters.forHost(endpointLabel(loginOf(inner)))).toEqual({ connections: 1, roundTrips: 2 });
  });

  it('refuses a bastion whose key differs from the pinned one, before reaching the host', async () => {
    const target = through({ bastion: { ...loginOf(jump), hostKey: inner.hostKey } });
    const error = await pool.withHost(target, (s) => s.check('touch /root/ran')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect((error as HostKeyMismatchError).host).toBe(endpointLabel(loginOf(jump)));
    expect((await inner.run('test -e /root/ran')).exitCode).toBe(1);
  });

  it('says when the bastion cannot reach the host', async () => {
    const error = await pool.withHost(through({ port: 2222 }), (s) => s.check('true')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostUnreachableError);
    expect((error as Error).message).toContain(`bastion ${endpointLabel(loginOf(jump))} could not reach ${inner.address}:2222`);
  });
});

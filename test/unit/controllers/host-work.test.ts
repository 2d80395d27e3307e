// A reconcile's host work: a member it could not connect to fails at once for the rest of that
// reconcile (a switched-off host costs one connect timeout, not one per phase), and the next
// reconcile tries it afresh. The host is a closed port on loopback, refused as a dead sshd is.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineHost } from '../../../src/api/index.ts';
import type { Member } from '../../../src/controllers/control-plane/members.ts';
import { hostWork } from '../../../src/controllers/host-work.ts';
import { HostUnreachableError, SshPool } from '../../../src/host/index.ts';
import { generateKeyPair } from '../../support/hosts.ts';

let port: number;
const pool = new SshPool();

beforeAll(async () => {
  // A port that was just free and is closed again: connecting to it is refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => pool.dispose());

const keys = generateKeyPair();
const host = (): MachineHost =>
  ({
    metadata: { name: 'cp-1', namespace: 'ns' },
    spec: { address: '127.0.0.1', port, user: 'root', hostKey: generateKeyPair().publicKey, sshKeySecretRef: { name: 'key', key: 'ssh' } },
  }) as unknown as MachineHost;
const member = (): Member => ({ host: host(), name: 'cp-1', hostname: 'cp-1', ip: '127.0.0.1', arch: 'amd64', pki: { name: 'cp-1', hostname: 'cp-1', ips: ['127.0.0.1'] } });
const deps = {
  pool,
  secrets: { get: () => ({ metadata: { name: 'key' }, data: { ssh: Buffer.from(keys.privateKey).toString('base64') } }) },
};

describe('hostWork', () => {
  it('fails at once on a member this reconcile could not reach, and the next reconcile tries it again', async () => {
    const reconcile = hostWork(deps, new AbortController().signal);
    let ran = 0;
    const work = () => reconcile.onHost(member(), async () => ran++).catch((e: unknown) => e);
    const first = await work();
    expect(first).toBeInstanceOf(HostUnreachableError);
    expect([...reconcile.unreachable.values()]).toEqual([first]);
    expect(await work()).toBe(first);

    const next = hostWork(deps, new AbortController().signal);
    const again = await next.onHost(member(), async () => ran++).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(HostUnreachableError);
    expect(again).not.toBe(first);
    expect(ran).toBe(0);
  });
});

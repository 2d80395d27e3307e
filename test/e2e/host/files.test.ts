import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  endpointLabel,
  readFile,
  SshPool,
  writeFile,
  writeFiles,
  type HostChange,
  type HostSession,
} from '../../../src/host/index.ts';
import { loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
let host: TestHost;
let pool: SshPool;
beforeAll(async () => {
  world = await startHosts(1, { image: inject('hostImage'), prefix: 'files' });
  host = world.hosts[0] as TestHost;
  pool = new SshPool();
});
afterAll(async () => {
  pool?.dispose();
  await world?.stop();
});

const onHost = <T>(work: (s: HostSession) => Promise<T>, observer?: (c: HostChange) => void) =>
  pool.withHost(loginOf(host), work, observer ? { observer } : {});
const roundTrips = () => pool.counters.forHost(endpointLabel(loginOf(host))).roundTrips;
/** Mode, owner, group and mtime with nanoseconds, as the host reports them. */
const statOf = async (path: string) => (await host.run(`stat -c '%a %U %G %.9Y' ${path}`)).stdout.trim();

describe('file writes', () => {
  it('writes a file once and leaves it untouched, mtime included, when it already matches', async () => {
    const spec = { path: '/etc/kubesmith/a.conf', content: 'a = 1\n', mode: 0o600 };
    const first = await onHost((s) => writeFile(s, spec));
    expect(first).toEqual({ path: spec.path, changed: true, metadataOnly: false });
    expect((await host.run(`cat ${spec.path}`)).stdout).toBe(spec.content);
    const before = await statOf(spec.path);
    expect(before).toMatch(/^600 root root \d+\.\d+$/);

    await sleep(50);
    const tripsBefore = roundTrips();
    const changes: HostChange[] = [];
    const second = await onHost((s) => writeFile(s, spec), (c) => changes.push(c));
    expect(second.changed).toBe(false);
    expect(roundTrips() - tripsBefore).toBe(1);
    expect(changes).toEqual([]);
    expect(await statOf(spec.path)).toBe(before);
  });

  it('fixes only mode and owner when the content matches, keeping the mtime', async () => {
    const spec = { path: '/etc/kubesmith/b.conf', content: 'b\n', mode: 0o640, owner: 'root', group: 'adm' };
    await onHost((s) => writeFile(s, spec));
    await host.run(`chmod 0666 ${spec.path} && chgrp root ${spec.path}`);
    const mtime = (await statOf(spec.path)).split(' ')[3];
    await sleep(50);
    const result = await onHost((s) => writeFile(s, spec));
    expect(result).toEqual({ path: spec.path, changed: true, metadataOnly: true });
    expect(await statOf(spec.path)).toBe(`640 root adm ${mtime}`);
  });

  it('rewrites a file that was changed behind its back', async () => {
    const spec = { path: '/etc/kubesmith/c.conf', content: 'c = 1\n' };
    await onHost((s) => writeFile(s, spec));
    await host.run(`echo tampered >> ${spec.path}`);
    const result = await onHost((s) => writeFile(s, spec));
    expect(result.changed).toBe(true);
    expect((await host.run(`cat ${spec.path}`)).stdout).toBe(spec.content);
    expect(await statOf(spec.path)).toMatch(/^644 root root /);
  });

  it('sends content through stdin, never on the command line, and reports the write', async () => {
    // Larger than the kernel's limit on one argument (128 KiB): it could not travel as one.
    const content = Buffer.concat([Buffer.from('secret-marker-91f3\n'), randomBytes(3 * 1024 * 1024)]);
    const changes: HostChange[] = [];
    const result = await onHost((s) => writeFile(s, { path: '/var/lib/kubesmith/blob', content, mode: 0o600 }), (c) => changes.push(c));
    expect(result.changed).toBe(true);
    const onHostHash = (await host.run('sha256sum < /var/lib/kubesmith/blob')).stdout.split(' ')[0];
    expect(onHostHash).toBe(createHash('sha256').update(content).digest('hex'));
    expect(changes).toHaveLength(1);
    expect(changes[0]?.description).toBe('wrote /var/lib/kubesmith/blob (0600 root:root)');
    expect(changes[0]?.command).toContain('install -m 0600 -o root -g root /dev/stdin');
    expect(changes[0]?.command).not.toContain('secret-marker');
  });

  it('checks many files in one round trip and writes only those that differ', async () => {
    const specs = ['d', 'e', 'f'].map((n) => ({ path: `/etc/kubesmith/many/${n}`, content: `${n}\n` }));
    const first = await onHost((s) => writeFiles(s, specs));
    expect(first.map((r) => r.changed)).toEqual([true, true, true]);
    await host.run('echo changed > /etc/kubesmith/many/e');
    const tripsBefore = roundTrips();
    const second = await onHost((s) => writeFiles(s, specs));
    expect(second.map((r) => r.changed)).toEqual([false, true, false]);
    expect(roundTrips() - tripsBefore).toBe(2);
  });

  it('reads a file, and tells a missing one apart', async () => {
    await host.run('printf hello > /root/greeting');
    expect(await onHost((s) => readFile(s, '/root/greeting'))).toBe('hello');
    expect(await onHost((s) => readFile(s, '/root/no-such-file'))).toBeUndefined();
  });
});

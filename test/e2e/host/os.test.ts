import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SshPool, UnsupportedOsError } from '../../../src/host/index.ts';
import { Debian, detectOs, Ubuntu } from '../../../src/host/os/index.ts';
import { loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
let host: TestHost;
let pool: SshPool;
beforeAll(async () => {
  world = await startHosts(1, { image: inject('hostImage'), prefix: 'os' });
  host = world.hosts[0] as TestHost;
  pool = new SshPool();
});
afterAll(async () => {
  pool?.dispose();
  await world?.stop();
});

describe('operating system detection', () => {
  it('finds Debian and asks dpkg for installed packages', async () => {
    const { os, versions } = await pool.withHost(loginOf(host), async (s) => {
      const detected = await detectOs(s);
      return { os: detected, versions: await detected.packageVersions(s, ['openssh-server', 'no-such-package']) };
    });
    expect(os).toBeInstanceOf(Debian);
    expect(os).not.toBeInstanceOf(Ubuntu);
    expect(os).toMatchObject({ id: 'debian', versionId: '12', packageManager: 'apt' });
    expect([...versions.keys()]).toEqual(['openssh-server']);
    expect(versions.get('openssh-server')).toMatch(/^1:9\./);
  });

  it('names an operating system it does not support', async () => {
    await host.run(`rm /etc/os-release && printf 'ID=plan9\\nPRETTY_NAME="Plan 9 from Bell Labs"\\n' > /etc/os-release`);
    const error = await pool.withHost(loginOf(host), (s) => detectOs(s)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedOsError);
    expect((error as UnsupportedOsError).reason).toBe('UnsupportedOperatingSystem');
    expect((error as Error).message).toContain('"Plan 9 from Bell Labs"');
    expect((error as Error).message).toContain('Debian');
  });
});

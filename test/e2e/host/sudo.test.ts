import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  endpointLabel,
  SshPool,
  SudoNotPermittedError,
  SudoPasswordRequiredError,
  writeFile,
} from '../../../src/host/index.ts';
import { addSudoUser, addUser, loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
let host: TestHost;
let pool: SshPool;
beforeAll(async () => {
  world = await startHosts(1, { image: inject('hostImage'), prefix: 'sudo' });
  host = world.hosts[0] as TestHost;
  await addSudoUser(host, 'deploy');
  await addSudoUser(host, 'asker', { password: 'pw-not-given-9' });
  await addUser(host, 'no-sudo');
  // A user whose sudo asks no password but allows only one command: sudo then says no outright.
  await addUser(host, 'limited');
  await host.run(`printf 'Defaults:limited !authenticate\\nlimited ALL=(ALL) /usr/bin/true\\n' > /etc/sudoers.d/limited`);
  pool = new SshPool();
});
afterAll(async () => {
  pool?.dispose();
  await world?.stop();
});

describe('a user other than root', () => {
  it('works as root through passwordless sudo, and as itself when asked', async () => {
    const [root, self] = await pool.withHost(loginOf(host, 'deploy'), async (s) => {
      await writeFile(s, { path: '/etc/kubesmith/by-deploy', content: 'x\n', mode: 0o600 });
      return [(await s.check('id -un')).stdout, (await s.check('id -un', { unprivileged: true })).stdout];
    });
    expect(root).toBe('root\n');
    expect(self).toBe('deploy\n');
    expect((await host.run('stat -c %U:%a /etc/kubesmith/by-deploy')).stdout.trim()).toBe('root:600');
  });

  it('stops at a sudo that wants a password: typed error, nothing run, nothing more sent', async () => {
    const login = loginOf(host, 'asker');
    const errors = await pool.withHost(login, async (s) => {
      const first = await s.exec('touch /root/ran-by-asker').catch((e: unknown) => e);
      const second = await s.exec('touch /root/ran-again').catch((e: unknown) => e);
      return [first, second];
    });
    expect(errors[0]).toBeInstanceOf(SudoPasswordRequiredError);
    expect(errors[1]).toBe(errors[0]);
    expect((errors[0] as SudoPasswordRequiredError).user).toBe('asker');
    expect((errors[0] as Error).message).toContain('NOPASSWD');
    expect(pool.counters.forHost(endpointLabel(login)).roundTrips).toBe(1);
    expect((await host.run('ls /root/ran-by-asker /root/ran-again 2>&1 || true')).stdout).toContain('No such file');
    expect((await host.run('test -e /root/ran-by-asker || test -e /root/ran-again')).exitCode).toBe(1);
  });

  it('stops the same way for a user without sudo rights, since sudo -n asks for the password first', async () => {
    const error = await pool.withHost(loginOf(host, 'no-sudo'), (s) => s.exec('touch /root/ran-by-no-sudo')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SudoPasswordRequiredError);
    expect((await host.run('test -e /root/ran-by-no-sudo')).exitCode).toBe(1);
  });

  it('stops at a sudo that refuses the command outright', async () => {
    const error = await pool.withHost(loginOf(host, 'limited'), (s) => s.exec('touch /root/ran-by-limited')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SudoNotPermittedError);
    expect((error as Error).message).toContain('is not allowed to execute');
    expect((await host.run('test -e /root/ran-by-limited')).exitCode).toBe(1);
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AuthenticationFailedError,
  endpointLabel,
  HostKeyMismatchError,
  parseHostKeyLine,
  SshPool,
} from '../../../src/host/index.ts';
import { generateKeyPair, loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

let world: TestHosts;
const host = (i: number) => world.hosts[i] as TestHost;
beforeAll(async () => {
  world = await startHosts(2, { image: inject('hostImage'), prefix: 'hostkey' });
});
afterAll(async () => {
  await world?.stop();
});

async function withPool<T>(work: (pool: SshPool) => Promise<T>): Promise<T> {
  const pool = new SshPool();
  try {
    return await work(pool);
  } finally {
    pool.dispose();
  }
}

describe('host key verification', () => {
  it('records the key seen at first contact with the fingerprint ssh-keygen prints, then pins it on the same connection', async () => {
    await withPool(async (pool) => {
      const seen = await pool.withHost(loginOf(host(0)), async (s) => s.hostKey);
      expect(seen.line).toBe(host(0).hostKey);
      const keygen = await host(0).run('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
      expect(seen.fingerprint).toBe(keygen.stdout.split(' ')[1]);

      const pinned = { ...loginOf(host(0)), hostKey: seen.line };
      expect((await pool.withHost(pinned, (s) => s.check('hostname'))).stdout).toBe('hostkey-1\n');
      expect(pool.counters.forHost(endpointLabel(pinned)).connections).toBe(1);
    });
  });

  it('connects with a pinned key of any type the host holds', async () => {
    for (const type of ['rsa', 'ecdsa']) {
      const line = (await host(0).run(`cat /etc/ssh/ssh_host_${type}_key.pub`)).stdout.trim();
      const seen = await withPool((pool) => pool.withHost({ ...loginOf(host(0)), hostKey: line }, async (s) => s.hostKey));
      expect(seen.blob.equals(parseHostKeyLine(line).blob)).toBe(true);
    }
  });

  it('refuses a host that no longer offers a key of the pinned type', async () => {
    const ecdsa = (await host(0).run('cat /etc/ssh/ssh_host_ecdsa_key.pub')).stdout.trim();
    await host(0).run(
      "printf 'HostKey /etc/ssh/ssh_host_ed25519_key\\nHostKey /etc/ssh/ssh_host_rsa_key\\n' > /etc/ssh/sshd_config.d/20-no-ecdsa.conf && systemctl restart ssh",
    );
    try {
      const error = await withPool((pool) => pool.withHost({ ...loginOf(host(0)), hostKey: ecdsa }, (s) => s.check('true'))).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HostKeyMismatchError);
      expect((error as HostKeyMismatchError).foundFingerprint).toBeUndefined();
      expect((error as Error).message).toContain('offers no host key of the pinned key');
    } finally {
      await host(0).run('rm /etc/ssh/sshd_config.d/20-no-ecdsa.conf && systemctl restart ssh');
    }
  });

  it('refuses a changed host key with both fingerprints, and runs nothing', async () => {
    const old = host(1).hostKey;
    const fresh = await world.recreate(host(1));
    expect(fresh.address).toBe(host(1).address);
    expect(fresh.hostKey).not.toBe(old);

    const error = await withPool((pool) =>
      pool.withHost({ ...loginOf(fresh), hostKey: old }, (s) => s.check('touch /root/ran')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    const mismatch = error as HostKeyMismatchError;
    expect(mismatch.reason).toBe('HostKeyMismatch');
    expect(mismatch.expectedFingerprint).toBe(parseHostKeyLine(old).fingerprint);
    expect(mismatch.foundFingerprint).toBe(parseHostKeyLine(fresh.hostKey).fingerprint);
    expect(mismatch.message).toContain('nothing was run');
    expect((await fresh.run('test -e /root/ran')).exitCode).toBe(1);
  });

  it('refuses a key that changes under a pooled connection once the caller pins the old one', async () => {
    await withPool(async (pool) => {
      const login = loginOf(host(1));
      const before = await pool.withHost(login, async (s) => s.hostKey.line);
      const fresh = await world.recreate(host(1));
      const error = await pool
        .withHost({ ...loginOf(fresh), hostKey: before }, (s) => s.check('touch /root/ran'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostKeyMismatchError);
      expect((await fresh.run('test -e /root/ran')).exitCode).toBe(1);
    });
  });

  it('refuses a private key the host does not accept, saying where the public key belongs', async () => {
    const stranger = generateKeyPair('stranger');
    const error = await withPool((pool) =>
      pool.withHost({ ...loginOf(host(0)), privateKey: stranger.privateKey }, (s) => s.check('true')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationFailedError);
    expect((error as Error).message).toContain('authorized_keys');
    expect((error as AuthenticationFailedError).reason).toBe('AuthenticationFailed');
  });

  it('refuses text that is not a private key', async () => {
    const error = await withPool((pool) =>
      pool.withHost({ ...loginOf(host(0)), privateKey: 'not a key' }, (s) => s.check('true')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationFailedError);
    expect((error as Error).message).toContain('cannot be used');
  });
});

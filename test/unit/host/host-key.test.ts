import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithmsFor } from '../../../src/host/host-key.ts';
import { fingerprintOf, InvalidHostKeyError, parseHostKeyLine } from '../../../src/host/index.ts';

// Key lines and fingerprints as `ssh-keygen -lf` printed them for these keys.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOGJOPTcJVMn2K/I7YeJRyjfI4N275TJsT7LR82UOB6V probe';
const ED25519_FP = 'SHA256:Ylp8zyyyTUxBJndKoAaNuPk73JzQU7/nhPMszjaUgVU';
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOgXExFWTGr3XdQ9fQNXgZZhd9FQUYGvhIyKOyCeu3FwSNcsMoJVjqsM/ni5tZQhligGDUL6vRmrGDQuRzDeumY=';
const ECDSA_FP = 'SHA256:Hm7rkIJGJIOkKOfVvAp4m81NG+/svGqu0lT4mwdcUZI';

describe('host keys', () => {
  it('computes the fingerprint OpenSSH prints', () => {
    expect(parseHostKeyLine(ED25519).fingerprint).toBe(ED25519_FP);
    expect(parseHostKeyLine(ECDSA).fingerprint).toBe(ECDSA_FP);
    expect(fingerprintOf(parseHostKeyLine(ECDSA).blob)).toBe(ECDSA_FP);
  });

  it('keeps type and data, drops the comment', () => {
    const key = parseHostKeyLine(`  ${ED25519}\n`);
    expect(key.type).toBe('ssh-ed25519');
    expect(key.line).toBe(ED25519.replace(' probe', ''));
  });

  it('refuses a line whose stated type differs from the key inside', () => {
    const forged = ED25519.replace('ssh-ed25519', 'ssh-rsa');
    expect(() => parseHostKeyLine(forged)).toThrow(/says ssh-rsa but its data holds a ssh-ed25519 key/);
  });

  it('refuses text that is not a key line', () => {
    expect(() => parseHostKeyLine('hello')).toThrow(InvalidHostKeyError);
    expect(() => parseHostKeyLine('ssh-ed25519 not*base64')).toThrow(InvalidHostKeyError);
    expect(() => parseHostKeyLine('ssh-ed25519 AAAA')).toThrow(InvalidHostKeyError);
  });

  it('offers only the algorithms that make the server show the pinned key', () => {
    expect(hostKeyAlgorithmsFor('ssh-ed25519')).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithmsFor('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });
});

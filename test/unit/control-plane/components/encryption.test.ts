import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  EncryptionKeyError,
  encryptionKeyFromSecret,
  encryptionKeySecret,
  generateEncryptionKey,
  renderEncryptionConfig,
} from '../../../../src/controllers/control-plane/components/encryption.ts';

const fixedKey = Buffer.alloc(32, 7).toString('base64');

describe('encryption key', () => {
  it('is 32 random bytes in base64', () => {
    const key = generateEncryptionKey();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(generateEncryptionKey()).not.toBe(key);
    expect(generateEncryptionKey(() => Buffer.alloc(32, 7))).toBe(fixedKey);
  });

  it("is kept in <cluster>-encryption with Cluster API's label, and read back unchanged", () => {
    const secret = encryptionKeySecret({ cluster: 'demo', namespace: 'clusters' }, fixedKey);
    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-encryption', namespace: 'clusters', labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } },
      type: 'cluster.x-k8s.io/secret',
      data: { key1: fixedKey },
    });
    expect(encryptionKeyFromSecret(secret)).toBe(fixedKey);
  });

  it('renders an EncryptionConfiguration with secretbox for Secrets, then identity for what was stored before', () => {
    const key = generateEncryptionKey();
    const text = renderEncryptionConfig(encryptionKeyFromSecret(encryptionKeySecret({ cluster: 'demo' }, key)));
    expect(parse(text)).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'key1', secret: key }] } }, { identity: {} }] }],
    });
    expect(renderEncryptionConfig(key)).toBe(text);
  });

  const secretWith = (data: Record<string, string> | undefined): V1Secret => ({ metadata: { name: 'demo-encryption' }, ...(data ? { data } : {}) });

  it.each([
    ['no data', secretWith(undefined), '"key1" is missing'],
    ['an empty key', secretWith({ key1: '' }), '"key1" is missing'],
    ['another key name', secretWith({ key: fixedKey }), '"key1" is missing'],
    ['16 bytes', secretWith({ key1: Buffer.alloc(16).toString('base64') }), '"key1" holds 16 bytes where secretbox needs 32'],
    ['the base64 text stored as data once more', secretWith({ key1: Buffer.from(fixedKey).toString('base64') }), '"key1" holds 44 bytes'],
    ['text that is not base64', secretWith({ key1: 'not a key!' }), '"key1" is not base64'],
  ])('refuses a Secret with %s, saying what to do', (_what, secret, problem) => {
    const read = () => encryptionKeyFromSecret(secret);
    expect(read).toThrow(EncryptionKeyError);
    expect(read).toThrow(`Secret demo-encryption: ${problem}`);
    expect(read).toThrow(/Restore it from a backup of this Secret; only if the cluster's API server never ran with it, delete the Secret/);
    try {
      read();
    } catch (error) {
      expect(error).toMatchObject({ reason: 'EncryptionKeyInvalid', needsPerson: true });
    }
  });

  it('refuses to render or store a key of the wrong size', () => {
    expect(() => renderEncryptionConfig(Buffer.alloc(24).toString('base64'))).toThrow('the encryption key holds 24 bytes where secretbox needs 32');
    expect(() => encryptionKeySecret({ cluster: 'demo' }, 'x')).toThrow(EncryptionKeyError);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import type { V1Secret } from '@kubernetes/client-node';
import {
  authorityFromSecret,
  authoritySecret,
  clusterSecretName,
  generateAuthority,
  generateServiceAccountKey,
  issueCertificate,
  KeyPairMismatchError,
  kubeadmCertificateSet,
  kubeconfigFromSecret,
  kubeconfigSecret,
  SecretDataError,
  serviceAccountKeyFromSecret,
  serviceAccountSecret,
  type Authority,
  type ServiceAccountKey,
} from '../../../src/pki/index.ts';
import { cluster, cp1, openssl, tempDir } from './support.ts';

const target = { cluster: 'demo', namespace: 'clusters' };
/** What the API server hands back: JSON, base64 data, no functions or prototypes. */
const throughApi = (secret: V1Secret): V1Secret => JSON.parse(JSON.stringify(secret));
const text = (secret: V1Secret, key: string) => Buffer.from(secret.data![key]!, 'base64').toString('utf8');

let authorities: Authority[];
let sa: ServiceAccountKey;
beforeAll(async () => {
  authorities = await Promise.all(kubeadmCertificateSet.authorities.map((spec) => generateAuthority(spec, { keyAlgorithm: 'ECDSAP256' })));
  sa = await generateServiceAccountKey({ keyAlgorithm: 'RSA2048' });
});

describe('Cluster API secrets', () => {
  it('use Cluster API’s names, type, label and keys', () => {
    expect(authorities.map((a) => authoritySecret(target, a).metadata!.name)).toEqual(['demo-ca', 'demo-proxy', 'demo-etcd']);
    expect(clusterSecretName('demo', 'sa')).toBe('demo-sa');
    const secret = authoritySecret(target, authorities[0]!);
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'cluster.x-k8s.io/secret',
      metadata: { name: 'demo-ca', namespace: 'clusters', labels: { 'cluster.x-k8s.io/cluster-name': 'demo' } },
    });
    expect(Object.keys(secret.data!)).toEqual(['tls.crt', 'tls.key']);
    expect(text(secret, 'tls.crt')).toBe(authorities[0]!.certPem);
    expect(text(secret, 'tls.key')).toBe(authorities[0]!.keyPem);
    const kubeconfig = kubeconfigSecret(target, 'apiVersion: v1\n');
    expect(kubeconfig.metadata!.name).toBe('demo-kubeconfig');
    expect(Object.keys(kubeconfig.data!)).toEqual(['value']);
  });

  it('round-trip a CA, which then signs certificates that verify against the original', async () => {
    const dir = tempDir();
    try {
      for (const original of authorities) {
        const back = await authorityFromSecret(original.spec, throughApi(authoritySecret(target, original)));
        expect(back.certPem).toBe(original.certPem);
        expect(back.keyPem).toBe(original.keyPem);
        expect(back.origin).toBe('loaded');
        const spec = kubeadmCertificateSet.tree.get(original.spec.name)![0]!;
        const issued = await issueCertificate(spec, { cluster, host: cp1 }, back, { keyAlgorithm: 'ECDSAP256' });
        const caFile = dir.write(`${original.spec.name}.crt`, original.certPem);
        const leafFile = dir.write(`${spec.name}.crt`, issued.certPem);
        expect(openssl(['verify', '-x509_strict', '-CAfile', caFile, leafFile])).toContain(': OK');
      }
    } finally {
      dir.remove();
    }
  });

  it('keep the service-account public key under tls.crt and the private key under tls.key', async () => {
    const secret = serviceAccountSecret(target, sa);
    expect(secret.metadata!.name).toBe('demo-sa');
    expect(text(secret, 'tls.crt')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(text(secret, 'tls.key')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(openssl(['pkey', '-pubout'], text(secret, 'tls.key'))).toBe(text(secret, 'tls.crt'));
    const back = await serviceAccountKeyFromSecret(throughApi(secret));
    expect(back.keyPem).toBe(sa.keyPem);
    expect(back.publicKeyPem).toBe(sa.publicKeyPem);
  });

  it('refuse a service-account Secret whose halves do not belong together', async () => {
    const other = await generateServiceAccountKey({ keyAlgorithm: 'ECDSAP256' });
    const mixed = serviceAccountSecret(target, { ...sa, publicKeyPem: other.publicKeyPem });
    await expect(serviceAccountKeyFromSecret(mixed)).rejects.toThrow(KeyPairMismatchError);
  });

  it('round-trip a kubeconfig', () => {
    const kubeconfig = 'apiVersion: v1\nkind: Config\n';
    expect(kubeconfigFromSecret(throughApi(kubeconfigSecret(target, kubeconfig)))).toBe(kubeconfig);
  });

  it('name the Secret and every missing key', async () => {
    const secret: V1Secret = { metadata: { name: 'my-ca' }, data: {} };
    const read = authorityFromSecret(kubeadmCertificateSet.authority('ca'), secret);
    await expect(read).rejects.toThrow(SecretDataError);
    await expect(read).rejects.toThrow(
      'Secret my-ca lacks "tls.crt" and "tls.key"; following Cluster API\'s conventions it must hold "tls.crt" and "tls.key"',
    );
    expect(() => kubeconfigFromSecret({ metadata: { name: 'demo-kubeconfig' }, data: { other: 'eA==' } })).toThrow(/lacks "value"/);
  });

  it('say which Secret holds a CA that cannot be used', async () => {
    const [ca, proxy] = authorities;
    const mixed: V1Secret = { metadata: { name: 'my-ca' }, data: { 'tls.crt': btoa(ca!.certPem), 'tls.key': btoa(proxy!.keyPem) } };
    await expect(authorityFromSecret(ca!.spec, mixed)).rejects.toThrow(
      'CA ca cannot be used: the private key does not belong to certificate "CN=kubernetes"',
    );
  });
});

// Verification of certificates found on a host: each kind of tampering is reported with the right
// difference and consequence, and a matching certificate yields nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateAuthority,
  generateServiceAccountKey,
  issueCertificate,
  kubeadmCertificateSet,
  verdict,
  verifyAuthorityFiles,
  verifyCertificate,
  verifyServiceAccountFiles,
  type Authority,
  type CertificateSpec,
  type HostFacts,
  type IssuedCertificate,
} from '../../../src/pki/index.ts';
import { cluster, cp1, DAY } from './support.ts';

const options = { keyAlgorithm: 'ECDSAP256' } as const;
const etcdServer = kubeadmCertificateSet.certificate('etcd/server');
const kubelet = kubeadmCertificateSet.certificate('kubelet');
const scope = { cluster, host: cp1 };

let etcdCa: Authority;
let proxyCa: Authority;
let good: IssuedCertificate;

beforeAll(async () => {
  etcdCa = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), options);
  proxyCa = await generateAuthority(kubeadmCertificateSet.authority('front-proxy-ca'), options);
  good = await issueCertificate(etcdServer, scope, etcdCa, options);
});

function check(certPem: string, extra: { keyPem?: string; now?: Date; renewWithinDays?: number; spec?: CertificateSpec; host?: HostFacts } = {}) {
  return verifyCertificate({
    spec: extra.spec ?? etcdServer,
    scope: { cluster, host: extra.host ?? cp1 },
    authority: etcdCa,
    certPem,
    ...(extra.keyPem === undefined ? {} : { keyPem: extra.keyPem }),
    ...(extra.now === undefined ? {} : { now: extra.now }),
    ...(extra.renewWithinDays === undefined ? {} : { renewWithinDays: extra.renewWithinDays }),
  });
}

describe('verifyCertificate', () => {
  it('finds nothing to report on a certificate that matches the plan', async () => {
    const differences = await check(good.certPem, { keyPem: good.keyPem });
    expect(differences).toEqual([]);
    expect(verdict(differences)).toBe('keep');
  });

  it('reports a wrong SAN as missing and found, naming the certificate and host', async () => {
    const elsewhere = await issueCertificate(etcdServer, { cluster, host: { ...cp1, ips: ['10.0.0.9'] } }, etcdCa, options);
    const differences = await check(elsewhere.certPem, { keyPem: elsewhere.keyPem });
    expect(differences).toEqual([
      {
        kind: 'SubjectAltNames',
        certificate: 'etcd/server',
        host: 'cp-1',
        consequence: 'conflict',
        missing: ['10.0.0.5'],
        extra: ['10.0.0.9'],
        message: 'etcd/server on cp-1: SAN 10.0.0.5 missing; found 10.0.0.9',
      },
    ]);
    expect(verdict(differences)).toBe('conflict');
  });

  it('reports a certificate edited in place: its SAN changed and its signature broken', async () => {
    const der = Buffer.from(good.certificate.rawData);
    const address = Buffer.from([0x87, 0x04, 10, 0, 0, 5]); // GeneralName iPAddress [7] 10.0.0.5
    const at = der.indexOf(address);
    expect(at).toBeGreaterThan(0);
    der[at + 5] = 9;
    const tampered = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    const differences = await check(tampered, { keyPem: good.keyPem });
    expect(differences.map((d) => [d.kind, d.consequence])).toEqual([
      ['SignatureInvalid', 'conflict'],
      ['SubjectAltNames', 'conflict'],
    ]);
    expect(differences[0]!.message).toBe(
      'etcd/server on cp-1: issued by another CA named "CN=etcd-ca": the signature does not verify with this cluster\'s CA',
    );
    expect(differences[1]!.message).toBe('etcd/server on cp-1: SAN 10.0.0.5 missing; found 10.0.0.9');
  });

  it('reports a certificate from another CA, whether its name differs or not', async () => {
    const fromProxy = await issueCertificate({ ...etcdServer, ca: 'front-proxy-ca' }, scope, proxyCa, options);
    const byName = await check(fromProxy.certPem);
    expect(byName).toEqual([
      expect.objectContaining({
        kind: 'IssuerMismatch',
        expected: 'CN=etcd-ca',
        found: 'CN=front-proxy-ca',
        message: 'etcd/server on cp-1: issued by "CN=front-proxy-ca", expected "CN=etcd-ca"',
      }),
    ]);
    const impostor = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), options);
    const sameName = await check((await issueCertificate(etcdServer, scope, impostor, options)).certPem);
    expect(sameName.map((d) => d.kind)).toEqual(['SignatureInvalid']);
  });

  it('asks to renew an expired certificate, and one expiring within the window', async () => {
    const twoYearsAgo = new Date(Date.now() - 730 * DAY);
    const oldCa = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), { ...options, now: twoYearsAgo });
    const expired = await issueCertificate(etcdServer, scope, oldCa, { ...options, now: twoYearsAgo });
    const differences = await verifyCertificate({ spec: etcdServer, scope, authority: oldCa, certPem: expired.certPem });
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatchObject({ kind: 'Expired', consequence: 'renew', notAfter: expired.certificate.notAfter });
    expect(differences[0]!.message).toMatch(/^etcd\/server on cp-1: expired at \d{4}-\d\d-\d\dT/);
    expect(verdict(differences)).toBe('renew');

    const short = await issueCertificate(etcdServer, scope, etcdCa, { ...options, validityDays: 10 });
    expect((await check(short.certPem)).map((d) => [d.kind, d.consequence])).toEqual([['ExpiresSoon', 'renew']]);
    expect(await check(short.certPem, { renewWithinDays: 5 })).toEqual([]);
    expect((await check(good.certPem, { now: new Date(Date.now() + 366 * DAY) })).map((d) => d.kind)).toEqual(['Expired']);
  });

  it('reports a key that belongs to another certificate, and a key file that is not a key', async () => {
    const other = await issueCertificate(etcdServer, scope, etcdCa, options);
    expect((await check(good.certPem, { keyPem: other.keyPem })).map((d) => [d.kind, d.message])).toEqual([
      ['KeyMismatch', 'etcd/server on cp-1: the key file does not belong to the certificate'],
    ]);
    expect((await check(good.certPem, { keyPem: good.certPem })).map((d) => d.kind)).toEqual(['KeyUnreadable']);
  });

  it('reports the subject of another node', async () => {
    const ca = await generateAuthority(kubeadmCertificateSet.authority('ca'), options);
    const other = await issueCertificate(kubelet, { cluster, host: { ...cp1, hostname: 'cp-9' } }, ca, options);
    const differences = await verifyCertificate({ spec: kubelet, scope, authority: ca, certPem: other.certPem });
    expect(differences.map((d) => d.message)).toEqual([
      'kubelet on cp-1: subject is "O=system:nodes, CN=system:node:cp-9", expected "O=system:nodes, CN=system:node:cp-1"',
    ]);
  });

  it('reports missing usages as a conflict and extra ones as a notice', async () => {
    const clientOnly = await issueCertificate({ ...etcdServer, extKeyUsages: ['clientAuth'] }, scope, etcdCa, options);
    expect((await check(clientOnly.certPem)).map((d) => [d.kind, d.consequence, d.message])).toEqual([
      ['ExtKeyUsages', 'conflict', 'etcd/server on cp-1: extended key usage serverAuth missing; found clientAuth'],
    ]);
    const peer = { ...etcdServer, extKeyUsages: ['clientAuth'] } as CertificateSpec;
    const differences = await check(good.certPem, { spec: peer });
    expect(differences.map((d) => [d.kind, d.consequence])).toEqual([['ExtKeyUsages', 'notice']]);
    expect(verdict(differences)).toBe('keep');
  });

  it('keeps a certificate with an extra SAN, noting it', async () => {
    const wider = await issueCertificate(etcdServer, { cluster, host: { ...cp1, ips: ['10.0.0.5', '192.168.1.5'] } }, etcdCa, options);
    const differences = await check(wider.certPem);
    expect(differences).toEqual([
      expect.objectContaining({ kind: 'SubjectAltNames', consequence: 'notice', missing: [], extra: ['192.168.1.5'] }),
    ]);
    expect(verdict(differences)).toBe('keep');
  });

  it('compares IPv6 SANs by address, not by spelling', async () => {
    const host = { ...cp1, ips: ['fd00:0:0:0:0:0:0:5'] };
    const issued = await issueCertificate(etcdServer, { cluster, host }, etcdCa, options);
    expect(await check(issued.certPem, { host: { ...cp1, ips: ['FD00::5'] } })).toEqual([]);
  });

  it('notes a key of another algorithm than the plan’s without asking to replace it', async () => {
    const differences = await verifyCertificate({ spec: etcdServer, scope, authority: etcdCa, certPem: good.certPem, keyAlgorithm: 'RSA2048' });
    expect(differences.map((d) => [d.kind, d.consequence, d.message])).toEqual([
      ['KeyAlgorithm', 'notice', 'etcd/server on cp-1: has a ECDSA-P256 key while new keys are RSA-2048; kept until it is renewed'],
    ]);
  });

  it('reports text that is not a certificate', async () => {
    const differences = await check('garbage');
    expect(differences.map((d) => [d.kind, d.message])).toEqual([
      ['Unreadable', 'etcd/server on cp-1: certificate: expected a PEM CERTIFICATE, found no PEM block'],
    ]);
  });
});

describe('verifyAuthorityFiles and verifyServiceAccountFiles', () => {
  it('accept the cluster’s own CA and report another one', async () => {
    expect(await verifyAuthorityFiles({ authority: etcdCa, host: 'cp-1', certPem: etcdCa.certPem, keyPem: etcdCa.keyPem })).toEqual([]);
    const other = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), options);
    const differences = await verifyAuthorityFiles({ authority: etcdCa, host: 'cp-1', certPem: other.certPem });
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatchObject({ kind: 'AuthorityMismatch', consequence: 'conflict' });
    expect(differences[0]!.message).toContain('etcd/ca on cp-1: holds CA "CN=etcd-ca" serial');
    expect(differences[0]!.message).toContain('the host may belong to another cluster');
    const wrongKey = await verifyAuthorityFiles({ authority: etcdCa, certPem: etcdCa.certPem, keyPem: other.keyPem });
    expect(wrongKey.map((d) => d.kind)).toEqual(['KeyMismatch']);
  });

  it('accept the cluster’s service-account key pair and report another one', async () => {
    const sa = await generateServiceAccountKey(options);
    const other = await generateServiceAccountKey(options);
    expect(await verifyServiceAccountFiles({ name: 'sa', expected: sa, host: 'cp-1', keyPem: sa.keyPem, publicKeyPem: sa.publicKeyPem })).toEqual([]);
    const differences = await verifyServiceAccountFiles({ name: 'sa', expected: sa, host: 'cp-1', keyPem: other.keyPem, publicKeyPem: sa.publicKeyPem });
    expect(differences.map((d) => d.message)).toEqual([
      "sa on cp-1: sa.key is not the cluster's service-account key; tokens it signed would be rejected elsewhere",
    ]);
  });
});

// A whole cluster's PKI, generated with each key algorithm and checked against kubeadm's layout by
// two independent verifiers: @peculiar/x509's chain builder and openssl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  generateClusterPki,
  hostMaterial,
  renderHostFiles,
  type ClusterPki,
  type HostFile,
  type KeyAlgorithm,
} from '../../../src/pki/index.ts';
import { kubeadmCertificateSet } from '../../../src/pki/index.ts';
import {
  cluster,
  cp1,
  cp2,
  DAY,
  openssl,
  opensslCertificate,
  opensslPublicKeys,
  opensslStatus,
  plannedHosts,
  tempDir,
  worker1,
  type TempDir,
} from './support.ts';

const SERVER = 'TLS Web Server Authentication';
const CLIENT = 'TLS Web Client Authentication';

/** kubeadm's certificates on a control-plane host: CA file, subject, extended usages, openssl purposes. */
const pkiFiles: Record<string, { ca: string; subject: string; eku: string; purposes: string[] }> = {
  apiserver: { ca: 'ca', subject: 'CN = kube-apiserver', eku: SERVER, purposes: ['sslserver'] },
  'apiserver-kubelet-client': {
    ca: 'ca',
    subject: 'O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client',
    eku: CLIENT,
    purposes: ['sslclient'],
  },
  'front-proxy-client': { ca: 'front-proxy-ca', subject: 'CN = front-proxy-client', eku: CLIENT, purposes: ['sslclient'] },
  'etcd/server': { ca: 'etcd/ca', subject: 'CN = <hostname>', eku: `${SERVER}, ${CLIENT}`, purposes: ['sslserver', 'sslclient'] },
  'etcd/peer': { ca: 'etcd/ca', subject: 'CN = <hostname>', eku: `${SERVER}, ${CLIENT}`, purposes: ['sslserver', 'sslclient'] },
  'etcd/healthcheck-client': { ca: 'etcd/ca', subject: 'CN = kube-etcd-healthcheck-client', eku: CLIENT, purposes: ['sslclient'] },
  'apiserver-etcd-client': { ca: 'etcd/ca', subject: 'CN = kube-apiserver-etcd-client', eku: CLIENT, purposes: ['sslclient'] },
  'kubelet-server': { ca: 'ca', subject: 'O = system:nodes, CN = system:node:<hostname>', eku: SERVER, purposes: ['sslserver'] },
};

const kubeconfigFiles: Record<string, { subject: string; server: string }> = {
  'admin.conf': { subject: 'O = kubeadm:cluster-admins, CN = kubernetes-admin', server: 'https://api.demo.example:443' },
  'controller-manager.conf': { subject: 'CN = system:kube-controller-manager', server: 'https://<ip>:6443' },
  'scheduler.conf': { subject: 'CN = system:kube-scheduler', server: 'https://<ip>:6443' },
  'kubelet.conf': { subject: 'O = system:nodes, CN = system:node:<hostname>', server: 'https://api.demo.example:443' },
  'kube-proxy.conf': { subject: 'CN = system:kube-proxy', server: 'https://api.demo.example:443' },
};

/** SANs kubeadm would put in, as openssl prints them (IPv6 in full, upper case). */
const expectedSans: Record<string, Record<string, string[]>> = {
  'cp-1': {
    apiserver: [
      'DNS:api.demo.example',
      'DNS:cp-1',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'IP Address:10.0.0.5',
      'IP Address:10.96.0.1',
    ],
    'etcd/server': [
      'DNS:cp-1',
      'DNS:localhost',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:10.0.0.5',
      'IP Address:127.0.0.1',
    ],
    'etcd/peer': ['DNS:cp-1', 'IP Address:10.0.0.5'],
    'kubelet-server': ['DNS:cp-1', 'IP Address:10.0.0.5'],
  },
  'cp-2': {
    apiserver: [
      'DNS:api.demo.example',
      'DNS:cp-2.lab',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'IP Address:10.0.0.6',
      'IP Address:10.96.0.1',
      'IP Address:FD00:10:0:0:0:0:0:6',
    ],
    'etcd/server': [
      'DNS:cp-2.lab',
      'DNS:localhost',
      'IP Address:0:0:0:0:0:0:0:1',
      'IP Address:10.0.0.6',
      'IP Address:127.0.0.1',
      'IP Address:FD00:10:0:0:0:0:0:6',
    ],
    'etcd/peer': ['DNS:cp-2.lab', 'IP Address:10.0.0.6', 'IP Address:FD00:10:0:0:0:0:0:6'],
    'kubelet-server': ['DNS:cp-2.lab', 'IP Address:10.0.0.6', 'IP Address:FD00:10:0:0:0:0:0:6'],
  },
};

const algorithms: { algorithm: KeyAlgorithm; publicKey: string; signature: string; leafUsage: string; caUsage: string }[] = [
  {
    algorithm: 'RSA2048',
    publicKey: 'rsaEncryption 2048',
    signature: 'sha256WithRSAEncryption',
    leafUsage: 'Digital Signature, Key Encipherment (critical)',
    caUsage: 'Digital Signature, Key Encipherment, Certificate Sign (critical)',
  },
  {
    algorithm: 'ECDSAP256',
    publicKey: 'id-ecPublicKey P-256',
    signature: 'ecdsa-with-SHA256',
    leafUsage: 'Digital Signature (critical)',
    caUsage: 'Digital Signature, Certificate Sign (critical)',
  },
];

function clientCertificateOf(kubeconfig: string): { cert: string; key: string; ca: string; server: string; user: string } {
  const config = parse(kubeconfig);
  const decode = (text: string) => Buffer.from(text, 'base64').toString('utf8');
  return {
    cert: decode(config.users[0].user['client-certificate-data']),
    key: decode(config.users[0].user['client-key-data']),
    ca: decode(config.clusters[0].cluster['certificate-authority-data']),
    server: config.clusters[0].cluster.server,
    user: config.users[0].name,
  };
}

describe.each(algorithms)('a cluster PKI with $algorithm keys', ({ algorithm, publicKey, signature, leafUsage, caUsage }) => {
  const now = new Date();
  let pki: ClusterPki;
  let dir: TempDir;
  const files = new Map<string, HostFile[]>();

  beforeAll(async () => {
    pki = await generateClusterPki({ cluster, hosts: plannedHosts, options: { keyAlgorithm: algorithm, now } });
    dir = tempDir();
    for (const { host, role } of plannedHosts) {
      const rendered = renderHostFiles(kubeadmCertificateSet, role, { cluster, host }, hostMaterial(pki, host.name), '/etc/kubernetes');
      files.set(host.name, rendered);
      for (const file of rendered) dir.write(`${host.name}${file.path}`, file.content);
    }
  }, 120_000);

  afterAll(() => dir?.remove());

  const path = (host: string, file: string) => `${dir.path}/${host}/etc/kubernetes/${file}`;
  const content = (host: string, file: string) => files.get(host)!.find((f) => f.path === `/etc/kubernetes/${file}`)!.content;

  it('makes self-signed CAs named as kubeadm’s, valid for 10 years', () => {
    for (const [name, cn] of [['ca', 'kubernetes'], ['front-proxy-ca', 'front-proxy-ca'], ['etcd/ca', 'etcd-ca']] as const) {
      const pem = content('cp-1', `pki/${name}.crt`);
      const text = opensslCertificate(pem);
      expect(text.subject, name).toBe(`CN = ${cn}`);
      expect(text.issuer, name).toBe(`CN = ${cn}`);
      expect(text.basicConstraints, name).toBe('CA:TRUE (critical)');
      expect(text.keyUsage, name).toBe(caUsage);
      expect(text.publicKey, name).toBe(publicKey);
      expect(text.subjectKeyId, name).not.toBe('');
      expect(openssl(['verify', '-x509_strict', '-CAfile', path('cp-1', `pki/${name}.crt`), path('cp-1', `pki/${name}.crt`)])).toContain(': OK');
      const cert = new x509.X509Certificate(pem);
      expect(cert.notAfter.getTime() - now.getTime()).toBeGreaterThan(3650 * DAY - 60_000);
      expect(cert.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(3650 * DAY);
    }
  });

  it('gives each control-plane certificate kubeadm’s subject, usages and SANs (openssl x509 -text)', () => {
    for (const host of [cp1, cp2]) {
      for (const [name, want] of Object.entries(pkiFiles)) {
        const text = opensslCertificate(content(host.name, `pki/${name}.crt`));
        const label = `${name} on ${host.name}`;
        expect(text.subject, label).toBe(want.subject.replace('<hostname>', host.hostname));
        expect(text.issuer, label).toBe(opensslCertificate(content(host.name, `pki/${want.ca}.crt`)).subject);
        expect(text.extKeyUsage, label).toBe(want.eku);
        expect(text.keyUsage, label).toBe(leafUsage);
        expect(text.basicConstraints, label).toBe('CA:FALSE (critical)');
        expect(text.publicKey, label).toBe(publicKey);
        expect(text.signature, label).toBe(signature);
        expect(text.sans, label).toEqual(expectedSans[host.name]![name] ?? []);
        expect(text.authorityKeyId, label).toBe(opensslCertificate(content(host.name, `pki/${want.ca}.crt`)).subjectKeyId);
      }
    }
  });

  it('passes openssl verify -x509_strict against the right CA, for the right purpose, and fails against another', () => {
    for (const host of [cp1, cp2]) {
      for (const [name, want] of Object.entries(pkiFiles)) {
        for (const purpose of want.purposes) {
          const out = openssl(['verify', '-x509_strict', '-purpose', purpose, '-CAfile', path(host.name, `pki/${want.ca}.crt`), path(host.name, `pki/${name}.crt`)]);
          expect(out, `${name} on ${host.name} for ${purpose}`).toContain(': OK');
        }
        const otherCa = want.ca === 'ca' ? 'etcd/ca' : 'ca';
        const wrong = opensslStatus(['verify', '-CAfile', path(host.name, `pki/${otherCa}.crt`), path(host.name, `pki/${name}.crt`)]);
        expect(wrong.status, `${name} must not verify against ${otherCa}`).not.toBe(0);
      }
      // A client-only certificate is not a serving certificate.
      const misuse = opensslStatus(['verify', '-purpose', 'sslserver', '-CAfile', path(host.name, 'pki/ca.crt'), path(host.name, 'pki/apiserver-kubelet-client.crt')]);
      expect(misuse.status).not.toBe(0);
    }
  });

  it('chains every certificate to its CA with @peculiar/x509', async () => {
    const cas = [...pki.authorities.values()].map((a) => a.certificate);
    const builder = new x509.X509ChainBuilder({ certificates: cas });
    const issued = [...pki.cluster.values(), ...[...pki.hosts.values()].flatMap((m) => [...m.values()])];
    expect(issued).toHaveLength(2 + 2 * 12 + 3);
    for (const cert of issued) {
      const parsed = new x509.X509Certificate(cert.certPem);
      const chain = await builder.build(parsed);
      expect(chain, cert.spec.name).toHaveLength(2);
      expect(chain[1]!.subject, cert.spec.name).toBe(pki.authorities.get(cert.spec.ca)!.certificate.subject);
      expect(await parsed.verify({ publicKey: chain[1]!, date: now }), cert.spec.name).toBe(true);
      expect(await chain[1]!.isSelfSigned()).toBe(true);
    }
  });

  it('writes PKCS#8 keys that belong to their certificates, and leaves valid for one year', () => {
    for (const host of [cp1, cp2]) {
      for (const name of Object.keys(pkiFiles)) {
        const key = content(host.name, `pki/${name}.key`);
        const cert = content(host.name, `pki/${name}.crt`);
        expect(key.startsWith('-----BEGIN PRIVATE KEY-----\n'), name).toBe(true);
        const { ofCertificate, ofKey } = opensslPublicKeys(cert, key);
        expect(ofKey, `${name} on ${host.name}`).toBe(ofCertificate);
        const parsed = new x509.X509Certificate(cert);
        expect(parsed.notAfter.getTime() - now.getTime()).toBeGreaterThan(365 * DAY - 60_000);
        expect(parsed.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(365 * DAY);
        expect(parsed.notBefore.getTime()).toBeLessThan(now.getTime());
      }
    }
    const sa = content('cp-1', 'pki/sa.key');
    expect(openssl(['pkey', '-pubout'], sa)).toBe(content('cp-1', 'pki/sa.pub'));
  });

  it('uses random, distinct serial numbers of 128 bits', () => {
    const serials = [...pki.hosts.values()].flatMap((m) => [...m.values()].map((c) => c.certificate.serialNumber));
    serials.push(...[...pki.authorities.values()].map((a) => a.certificate.serialNumber));
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/);
  });

  it('embeds client certificates in kubeconfigs that verify against the cluster CA', () => {
    for (const { host, role } of plannedHosts) {
      const confs = role === 'worker' ? ['kubelet.conf', 'kube-proxy.conf'] : Object.keys(kubeconfigFiles);
      for (const conf of confs) {
        const embedded = clientCertificateOf(content(host.name, conf));
        const label = `${conf} on ${host.name}`;
        const want = kubeconfigFiles[conf]!;
        expect(embedded.ca, label).toBe(pki.authorities.get('ca')!.certPem);
        expect(embedded.server, label).toBe(want.server.replace('<ip>', host.ips[0]!));
        expect(opensslCertificate(embedded.cert).subject, label).toBe(want.subject.replace('<hostname>', host.hostname));
        expect(opensslCertificate(embedded.cert).extKeyUsage, label).toBe(CLIENT);
        const certFile = dir.write(`${host.name}-${conf}.crt`, embedded.cert);
        const out = openssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', path(host.name, 'pki/ca.crt'), certFile]);
        expect(out, label).toContain(': OK');
        const { ofCertificate, ofKey } = opensslPublicKeys(embedded.cert, embedded.key);
        expect(ofKey, label).toBe(ofCertificate);
      }
    }
    expect(worker1.ips[0]).toBe('10.0.1.7');
  });

  it('gives a worker a kubelet serving certificate of its own, for serving only', () => {
    const text = opensslCertificate(content('w-1', 'pki/kubelet-server.crt'));
    expect(text.subject).toBe('O = system:nodes, CN = system:node:w-1');
    expect(text.extKeyUsage).toBe(SERVER);
    expect(text.sans).toEqual(['DNS:w-1', 'IP Address:10.0.1.7']);
    expect(openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', path('w-1', 'pki/ca.crt'), path('w-1', 'pki/kubelet-server.crt')])).toContain(': OK');
    const misuse = opensslStatus(['verify', '-purpose', 'sslclient', '-CAfile', path('w-1', 'pki/ca.crt'), path('w-1', 'pki/kubelet-server.crt')]);
    expect(misuse.status).not.toBe(0);
  });

  it('puts the super-admin kubeconfig on control-plane hosts only, never on workers', () => {
    expect(pki.cluster.get('super-admin')).toBeDefined();
    for (const host of plannedHosts) {
      const onHost = files.get(host.host.name)!.filter((f) => f.path.includes('super-admin'));
      expect(onHost.map((f) => [f.path, f.mode]), host.host.name).toEqual(host.role === 'control-plane' ? [['/etc/kubernetes/super-admin.conf', 0o600]] : []);
    }
    expect(opensslCertificate(pki.cluster.get('super-admin')!.certPem).subject).toBe('O = system:masters, CN = kubernetes-super-admin');
  });
});

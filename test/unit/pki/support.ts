// Shared fixtures and openssl helpers for the PKI tests. openssl is an independent implementation:
// what it accepts, kube-apiserver, etcd and kubelet (Go's crypto/x509) accept in practice too.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClusterFacts, HostFacts, PlannedHost } from '../../../src/pki/index.ts';

export const cluster: ClusterFacts = {
  name: 'demo',
  dnsDomain: 'cluster.local',
  serviceCIDR: '10.96.0.0/12',
  endpoint: { host: 'api.demo.example', port: 443 },
};

export const cp1: HostFacts = { name: 'cp-1', hostname: 'cp-1', ips: ['10.0.0.5'] };
export const cp2: HostFacts = { name: 'cp-2', hostname: 'cp-2.lab', ips: ['10.0.0.6', 'fd00:10:0:0::6'] };
export const worker1: HostFacts = { name: 'w-1', hostname: 'w-1', ips: ['10.0.1.7'] };

export const plannedHosts: PlannedHost[] = [
  { host: cp1, role: 'control-plane' },
  { host: cp2, role: 'control-plane' },
  { host: worker1, role: 'worker' },
];

export const DAY = 24 * 60 * 60 * 1000;

export function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs openssl without throwing, for checks that must fail. */
export function opensslStatus(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface TempDir {
  path: string;
  write(relative: string, content: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const path = mkdtempSync(join(tmpdir(), 'kubesmith-pki-'));
  return {
    path,
    write(relative, content) {
      const file = join(path, relative);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** The parts of `openssl x509 -text` the tests look at. */
export interface OpensslCertificate {
  subject: string;
  issuer: string;
  publicKey: string;
  signature: string;
  basicConstraints: string;
  keyUsage: string;
  extKeyUsage: string;
  sans: string[];
  subjectKeyId: string;
  authorityKeyId: string;
}

function extensionValue(text: string, name: string): string {
  const match = new RegExp(`${name}:( critical)?\\s*\\n\\s*(.+)`).exec(text);
  if (!match) return '';
  return `${match[2]!.trim()}${match[1] ? ' (critical)' : ''}`;
}

const parsed = new Map<string, OpensslCertificate>();

export function opensslCertificate(pem: string): OpensslCertificate {
  const known = parsed.get(pem);
  if (known) return known;
  const text = openssl(['x509', '-noout', '-text'], pem);
  const line = (prefix: string) => new RegExp(`${prefix}: (.*)`).exec(text)?.[1]?.trim() ?? '';
  const sans = extensionValue(text, 'X509v3 Subject Alternative Name');
  const curve = /NIST CURVE: (.*)/.exec(text)?.[1];
  const bits = /Public-Key: \((\d+) bit\)/.exec(text)?.[1];
  const result: OpensslCertificate = {
    subject: line('Subject'),
    issuer: line('Issuer'),
    publicKey: `${line('Public Key Algorithm')} ${curve ?? bits}`,
    signature: line('Signature Algorithm'),
    basicConstraints: extensionValue(text, 'X509v3 Basic Constraints'),
    keyUsage: extensionValue(text, 'X509v3 Key Usage'),
    extKeyUsage: extensionValue(text, 'X509v3 Extended Key Usage'),
    sans: sans === '' ? [] : sans.split(', ').sort(),
    subjectKeyId: extensionValue(text, 'X509v3 Subject Key Identifier'),
    authorityKeyId: extensionValue(text, 'X509v3 Authority Key Identifier').replace(/^keyid:/, ''),
  };
  parsed.set(pem, result);
  return result;
}

/** Public key of a certificate and of a private key, as openssl prints them, for comparing. */
export function opensslPublicKeys(certPem: string, keyPem: string): { ofCertificate: string; ofKey: string } {
  return {
    ofCertificate: openssl(['x509', '-noout', '-pubkey'], certPem),
    ofKey: openssl(['pkey', '-pubout'], keyPem),
  };
}

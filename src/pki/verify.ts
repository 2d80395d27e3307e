// Verification of what a host already has against what the plan wants, in the spirit of kubeadm's
// writeCertificateFilesIfNotExist. The result is a list of differences, each saying what it means
// for the file: a notice (keep it), a reason to renew it (ours, but expired or about to be), or a
// conflict (someone else's, or wrong: report it and leave it alone, never overwrite it silently).
import * as x509 from './x509.ts';
import type { Authority } from './authority.ts';
import { PemError, UnsupportedKeyError } from './errors.ts';
import { canonicalIp } from './ip.ts';
import { describeKey, keyInfoOf, sameKeyKind, type KeyAlgorithm } from './key-algorithm.ts';
import { DAY_MS } from './options.ts';
import {
  certificateKeyInfo,
  decodeCertificate,
  decodePrivateKey,
  decodePublicKey,
  keyMatchesCertificate,
  samePublicKey,
} from './pem.ts';
import type { ServiceAccountKey } from './issue.ts';
import {
  certificateLabel,
  sansOf,
  subjectOf,
  type CertificateSpec,
  type ClusterScope,
  type HostScope,
  type Subject,
} from './spec.ts';
import { effectiveKeyUsages, extKeyUsagesOf, keyUsagesOf } from './usages.ts';

/** What a difference means for the file on the host. */
export type Consequence = 'notice' | 'renew' | 'conflict';

interface DifferenceBase {
  /** Name of the spec, for example `etcd/server`. */
  certificate: string;
  /** MachineHost the file is on, when checking a host. */
  host?: string;
  consequence: Consequence;
  /** For a person: `etcd/server on cp-1: SAN 10.0.0.5 missing; found 10.0.0.9`. */
  message: string;
}

export type CertificateDifference = DifferenceBase &
  (
    | { kind: 'Unreadable' }
    | { kind: 'KeyUnreadable' }
    | { kind: 'KeyMismatch' }
    | { kind: 'IssuerMismatch'; expected: string; found: string }
    | { kind: 'SignatureInvalid' }
    | { kind: 'AuthorityMismatch'; expected: string; found: string }
    | { kind: 'SubjectMismatch'; expected: string; found: string }
    | { kind: 'SubjectAltNames'; missing: string[]; extra: string[] }
    | { kind: 'Expired'; notAfter: Date }
    | { kind: 'ExpiresSoon'; notAfter: Date }
    | { kind: 'NotYetValid'; notBefore: Date }
    | { kind: 'NotALeaf' }
    | { kind: 'KeyUsages'; missing: string[]; extra: string[] }
    | { kind: 'ExtKeyUsages'; missing: string[]; extra: string[] }
    | { kind: 'KeyAlgorithm'; expected: string; found: string }
    | { kind: 'FileMissing'; path: string }
    | { kind: 'ServerMismatch'; expected: string; found: string }
  );

/** What to do with the file: the gravest consequence among its differences. */
export function verdict(differences: readonly CertificateDifference[]): 'keep' | Exclude<Consequence, 'notice'> {
  if (differences.some((d) => d.consequence === 'conflict')) return 'conflict';
  if (differences.some((d) => d.consequence === 'renew')) return 'renew';
  return 'keep';
}

export const DEFAULT_RENEW_WITHIN_DAYS = 30;

export interface VerifyCertificateInput {
  spec: CertificateSpec;
  scope: ClusterScope | HostScope;
  /** The CA that should have issued it. */
  authority: Pick<Authority, 'certificate'>;
  certPem: string;
  /** The key file beside it; its match with the certificate is checked when given. */
  keyPem?: string;
  now?: Date;
  /** A certificate expiring within this many days should be renewed; 30 when absent. */
  renewWithinDays?: number;
  /** The plan's key algorithm; a certificate with another one is kept and noted. */
  keyAlgorithm?: KeyAlgorithm;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A difference before it is labelled with the certificate and host it is about. */
export type Finding = DistributiveOmit<CertificateDifference, 'certificate' | 'host' | 'message'> & { detail: string };

export function difference(where: { certificate: string; host?: string }, finding: Finding): CertificateDifference {
  const { detail, ...rest } = finding;
  return {
    ...rest,
    certificate: where.certificate,
    ...(where.host === undefined ? {} : { host: where.host }),
    message: `${certificateLabel(where.certificate, where.host)}: ${detail}`,
  } as CertificateDifference;
}

function setDifference(wanted: readonly string[], found: readonly string[]): { missing: string[]; extra: string[] } {
  return { missing: wanted.filter((w) => !found.includes(w)), extra: found.filter((f) => !wanted.includes(f)) };
}

function plural(word: string, items: readonly string[]): string {
  return `${word}${items.length === 1 ? '' : 's'} ${items.join(', ')}`;
}

function subjectText(subject: Subject): string {
  return [...(subject.organizations ?? []).map((o) => `O=${o}`), `CN=${subject.commonName}`].join(', ');
}

function subjectFinding(cert: x509.X509Certificate, wanted: Subject): Finding | undefined {
  const found: Subject = {
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    organizations: cert.subjectName.getField('O'),
  };
  const sameOrgs =
    [...(wanted.organizations ?? [])].sort().join('\n') === [...(found.organizations ?? [])].sort().join('\n');
  if (found.commonName === wanted.commonName && sameOrgs) return undefined;
  const expected = subjectText(wanted);
  return {
    kind: 'SubjectMismatch',
    consequence: 'conflict',
    expected,
    found: subjectText(found),
    detail: `subject is "${subjectText(found)}", expected "${expected}"`,
  };
}

function foundAltNames(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!ext) return [];
  return ext.names.items.flatMap((name) => {
    if (name.type === 'ip') return [canonicalIp(name.value)];
    if (name.type === 'dns') return [name.value.toLowerCase()];
    return [`${name.type}:${name.value}`];
  });
}

function altNameFinding(cert: x509.X509Certificate, spec: CertificateSpec, scope: ClusterScope | HostScope): Finding | undefined {
  const sans = sansOf(spec, scope);
  const { missing, extra } = setDifference([...sans.dns, ...sans.ips], foundAltNames(cert));
  if (missing.length > 0) {
    const found = extra.length > 0 ? `; found ${extra.join(', ')}` : '';
    const detail = `${plural('SAN', missing)} missing${found}`;
    return { kind: 'SubjectAltNames', consequence: 'conflict', missing, extra, detail };
  }
  if (extra.length > 0) {
    return {
      kind: 'SubjectAltNames',
      consequence: 'notice',
      missing,
      extra,
      detail: `${plural('SAN', extra)} not in the plan; kept, since an extra name does no harm`,
    };
  }
  return undefined;
}

function validityFindings(cert: x509.X509Certificate, now: Date, renewWithinDays: number): Finding[] {
  const notAfter = cert.notAfter;
  if (notAfter.getTime() <= now.getTime()) {
    return [{ kind: 'Expired', consequence: 'renew', notAfter, detail: `expired at ${notAfter.toISOString()}` }];
  }
  if (cert.notBefore.getTime() > now.getTime()) {
    const notBefore = cert.notBefore;
    const detail = `not valid before ${notBefore.toISOString()} (check the clocks)`;
    return [{ kind: 'NotYetValid', consequence: 'renew', notBefore, detail }];
  }
  if (notAfter.getTime() - now.getTime() < renewWithinDays * DAY_MS) {
    const days = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
    return [
      {
        kind: 'ExpiresSoon',
        consequence: 'renew',
        notAfter,
        detail: `expires at ${notAfter.toISOString()}, in ${days} days, within the ${renewWithinDays}-day renewal window`,
      },
    ];
  }
  return [];
}

function usageFindings(cert: x509.X509Certificate, spec: CertificateSpec): Finding[] {
  const findings: Finding[] = [];
  if (cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
    findings.push({ kind: 'NotALeaf', consequence: 'conflict', detail: 'is a CA certificate (CA:TRUE), expected a leaf' });
  }
  const info = certificateKeyInfo(cert);
  // Expected usages follow the key the certificate really has, so an RSA certificate kept under an
  // ECDSA plan is not also reported for carrying keyEncipherment.
  const wantedKeyUsages = info ? effectiveKeyUsages(spec.keyUsages, info) : [...spec.keyUsages];
  const checks = [
    ['KeyUsages', 'key usage', wantedKeyUsages, keyUsagesOf(cert)],
    ['ExtKeyUsages', 'extended key usage', [...spec.extKeyUsages], extKeyUsagesOf(cert)],
  ] as const;
  for (const [kind, word, wanted, found] of checks) {
    const { missing, extra } = setDifference(wanted, found);
    if (missing.length > 0) {
      const detail = `${plural(word, missing)} missing; found ${found.join(', ') || 'none'}`;
      findings.push({ kind, consequence: 'conflict', missing, extra, detail });
    } else if (extra.length > 0) {
      findings.push({ kind, consequence: 'notice', missing, extra, detail: `extra ${plural(word, extra)}` });
    }
  }
  return findings;
}

async function issuerFindings(cert: x509.X509Certificate, ca: x509.X509Certificate): Promise<Finding[]> {
  const sameName = Buffer.from(cert.issuerName.toArrayBuffer()).equals(Buffer.from(ca.subjectName.toArrayBuffer()));
  if (!sameName) {
    return [
      {
        kind: 'IssuerMismatch',
        consequence: 'conflict',
        expected: ca.subject,
        found: cert.issuer,
        detail: `issued by "${cert.issuer}", expected "${ca.subject}"`,
      },
    ];
  }
  if (!(await cert.verify({ publicKey: ca, signatureOnly: true }))) {
    return [
      {
        kind: 'SignatureInvalid',
        consequence: 'conflict',
        detail: `issued by another CA named "${ca.subject}": the signature does not verify with this cluster's CA`,
      },
    ];
  }
  return [];
}

async function keyFindings(cert: x509.X509Certificate, keyPem: string): Promise<Finding[]> {
  try {
    const key = await decodePrivateKey(keyPem, 'key');
    if (keyMatchesCertificate(key, cert)) return [];
    return [{ kind: 'KeyMismatch', consequence: 'conflict', detail: 'the key file does not belong to the certificate' }];
  } catch (error) {
    if (!(error instanceof PemError || error instanceof UnsupportedKeyError)) throw error;
    return [{ kind: 'KeyUnreadable', consequence: 'conflict', detail: `the key file cannot be used: ${error.message}` }];
  }
}

function algorithmFinding(cert: x509.X509Certificate, planned: KeyAlgorithm): Finding | undefined {
  const found = certificateKeyInfo(cert);
  const expected = keyInfoOf(planned);
  if (!found || sameKeyKind(found, expected)) return undefined;
  return {
    kind: 'KeyAlgorithm',
    consequence: 'notice',
    expected: describeKey(expected),
    found: describeKey(found),
    detail: `has a ${describeKey(found)} key while new keys are ${describeKey(expected)}; kept until it is renewed`,
  };
}

/** Checks one certificate (and its key) against its spec; an empty list means it matches. */
export async function verifyCertificate(input: VerifyCertificateInput): Promise<CertificateDifference[]> {
  const where = { certificate: input.spec.name, ...('host' in input.scope ? { host: input.scope.host.name } : {}) };
  let cert: x509.X509Certificate;
  try {
    cert = decodeCertificate(input.certPem, 'certificate');
  } catch (error) {
    return [difference(where, { kind: 'Unreadable', consequence: 'conflict', detail: (error as Error).message })];
  }
  const now = input.now ?? new Date();
  const findings: (Finding | undefined)[] = [
    ...(await issuerFindings(cert, input.authority.certificate)),
    subjectFinding(cert, subjectOf(input.spec, input.scope)),
    altNameFinding(cert, input.spec, input.scope),
    ...validityFindings(cert, now, input.renewWithinDays ?? DEFAULT_RENEW_WITHIN_DAYS),
    ...usageFindings(cert, input.spec),
    ...(input.keyPem === undefined ? [] : await keyFindings(cert, input.keyPem)),
    input.keyAlgorithm === undefined ? undefined : algorithmFinding(cert, input.keyAlgorithm),
  ];
  return findings.filter((f): f is Finding => f !== undefined).map((f) => difference(where, f));
}

/** A CA certificate that is not the cluster's: the host (or file) may belong to another cluster. */
export function authorityFinding(found: x509.X509Certificate, expected: x509.X509Certificate, verb: string): Finding | undefined {
  if (Buffer.from(found.rawData).equals(Buffer.from(expected.rawData))) return undefined;
  const describe = (c: x509.X509Certificate) => `"${c.subject}" serial ${c.serialNumber}`;
  return {
    kind: 'AuthorityMismatch',
    consequence: 'conflict',
    expected: describe(expected),
    found: describe(found),
    detail:
      `${verb} CA ${describe(found)}, but the cluster's CA is ${describe(expected)}; ` +
      'the host may belong to another cluster',
  };
}

/** Checks a CA's files on a host: the certificate must be the cluster's CA, the key (if any) its key. */
export async function verifyAuthorityFiles(input: {
  authority: Authority;
  host?: string;
  certPem: string;
  keyPem?: string;
}): Promise<CertificateDifference[]> {
  const where = { certificate: input.authority.spec.name, ...(input.host === undefined ? {} : { host: input.host }) };
  let cert: x509.X509Certificate;
  try {
    cert = decodeCertificate(input.certPem, 'CA certificate');
  } catch (error) {
    return [difference(where, { kind: 'Unreadable', consequence: 'conflict', detail: (error as Error).message })];
  }
  const mismatch = authorityFinding(cert, input.authority.certificate, 'holds');
  if (mismatch) return [difference(where, mismatch)];
  const findings = input.keyPem === undefined ? [] : await keyFindings(cert, input.keyPem);
  return findings.map((f) => difference(where, f));
}

/** Checks sa.key and sa.pub on a host against the cluster's service-account key pair. */
export async function verifyServiceAccountFiles(input: {
  name: string;
  expected: ServiceAccountKey;
  host?: string;
  keyPem: string;
  publicKeyPem: string;
}): Promise<CertificateDifference[]> {
  const where = { certificate: input.name, ...(input.host === undefined ? {} : { host: input.host }) };
  const findings: Finding[] = [];
  try {
    const key = await decodePrivateKey(input.keyPem, `${input.name}.key`);
    if (!samePublicKey(key.publicKey, input.expected.key.publicKey)) {
      findings.push({
        kind: 'KeyMismatch',
        consequence: 'conflict',
        detail: `${input.name}.key is not the cluster's service-account key; tokens it signed would be rejected elsewhere`,
      });
    }
  } catch (error) {
    if (!(error instanceof PemError || error instanceof UnsupportedKeyError)) throw error;
    findings.push({ kind: 'KeyUnreadable', consequence: 'conflict', detail: error.message });
  }
  try {
    if (!samePublicKey(decodePublicKey(input.publicKeyPem, `${input.name}.pub`), input.expected.key.publicKey)) {
      const detail = `${input.name}.pub is not the cluster's service-account public key`;
      findings.push({ kind: 'KeyMismatch', consequence: 'conflict', detail });
    }
  } catch (error) {
    if (!(error instanceof PemError)) throw error;
    findings.push({ kind: 'Unreadable', consequence: 'conflict', detail: error.message });
  }
  return findings.map((f) => difference(where, f));
}

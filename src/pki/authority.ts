// Certificate authorities: generated, or supplied by the user and checked before kubesmith signs
// anything with them.
import * as x509 from './x509.ts';
import { AuthorityLoadError, PemError, UnsupportedKeyError, type AuthorityProblem } from './errors.ts';
import { generateKeyPair, keyInfoOf, signatureParams } from './key-algorithm.ts';
import { CLOCK_SKEW_MS, DAY_MS, randomSerial, resolveOptions, type GenerationOptions } from './options.ts';
import {
  decodeCertificate,
  decodePrivateKey,
  encodeCertificate,
  keyMatchesCertificate,
  privateKeyFromPair,
  type PrivateKey,
} from './pem.ts';
import type { AuthoritySpec } from './spec.ts';
import { effectiveKeyUsages, keyUsageFlags } from './usages.ts';

export interface Authority {
  spec: AuthoritySpec;
  certificate: x509.X509Certificate;
  /** PEM of the certificate; for a supplied CA, the same DER the user gave. */
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  key: PrivateKey;
  /** `generated` just now, or `loaded` from PEM (a Secret, or a CA the user supplied). */
  origin: 'generated' | 'loaded';
}

/** The PEM text of a CA, as it comes from a Secret or a file. */
export interface AuthorityPem {
  certPem: string;
  keyPem: string;
}

export async function generateAuthority(spec: AuthoritySpec, options?: GenerationOptions): Promise<Authority> {
  const { keyAlgorithm, caValidityDays, now } = resolveOptions(options);
  const info = keyInfoOf(keyAlgorithm);
  const keys = await generateKeyPair(keyAlgorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [spec.commonName] }],
    keys,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + caValidityDays * DAY_MS),
    signingAlgorithm: signatureParams(info),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(keyUsageFlags(effectiveKeyUsages(spec.keyUsages, info)), true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const key = await privateKeyFromPair(keys, info);
  return { spec, certificate, certPem: encodeCertificate(certificate), keyPem: key.pem, key, origin: 'generated' };
}

function authorityProblems(cert: x509.X509Certificate, key: PrivateKey, now: Date): AuthorityProblem[] {
  const problems: AuthorityProblem[] = [];
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    problems.push({
      reason: 'NotACertificateAuthority',
      message: `certificate "${cert.subject}" is not a CA (basicConstraints CA:TRUE is missing)`,
    });
  }
  const usages = cert.getExtension(x509.KeyUsagesExtension);
  // RFC 5280: without a keyUsage extension any usage is allowed; with one, keyCertSign must be set.
  if (usages && (usages.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    problems.push({
      reason: 'NotACertificateAuthority',
      message: `certificate "${cert.subject}" may not sign certificates (keyUsage lacks keyCertSign)`,
    });
  }
  if (!keyMatchesCertificate(key, cert)) {
    problems.push({
      reason: 'KeyMismatch',
      message: `the private key does not belong to certificate "${cert.subject}"; supply the key it was made with`,
    });
  }
  if (cert.notAfter.getTime() <= now.getTime()) {
    problems.push({ reason: 'Expired', message: `certificate "${cert.subject}" expired at ${cert.notAfter.toISOString()}` });
  } else if (cert.notBefore.getTime() > now.getTime()) {
    problems.push({
      reason: 'NotYetValid',
      message: `certificate "${cert.subject}" is valid only from ${cert.notBefore.toISOString()}`,
    });
  }
  return problems;
}

/**
 * Takes an existing CA: one the user supplied, or the cluster's own read back from its Secret.
 * Every problem (not a CA, the key of another certificate, expired) is reported at once in an
 * AuthorityLoadError, so that one edit of the Secret can fix them all.
 */
export async function loadAuthority(
  spec: AuthoritySpec,
  pem: AuthorityPem,
  options: { now?: Date; source?: string } = {},
): Promise<Authority> {
  const source = options.source ?? `CA ${spec.name}`;
  let certificate: x509.X509Certificate | undefined;
  let key: PrivateKey | undefined;
  const problems: AuthorityProblem[] = [];
  const causes: unknown[] = [];
  try {
    certificate = decodeCertificate(pem.certPem, `${source} certificate`);
  } catch (error) {
    causes.push(error);
    problems.push({ reason: 'CertificateUnreadable', message: (error as Error).message });
  }
  try {
    key = await decodePrivateKey(pem.keyPem, `${source} key`);
  } catch (error) {
    if (!(error instanceof PemError || error instanceof UnsupportedKeyError)) throw error;
    causes.push(error);
    problems.push({ reason: 'KeyUnreadable', message: error.message });
  }
  if (certificate && key) problems.push(...authorityProblems(certificate, key, options.now ?? new Date()));
  if (problems.length > 0 || !certificate || !key) {
    const cause = causes.length > 1 ? new AggregateError(causes) : causes[0];
    throw new AuthorityLoadError(spec.name, problems, cause === undefined ? undefined : { cause });
  }
  return { spec, certificate, certPem: encodeCertificate(certificate), keyPem: key.pem, key, origin: 'loaded' };
}

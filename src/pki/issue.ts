// Issuing leaf certificates and the service-account key pair.
import * as x509 from './x509.ts';
import type { Authority } from './authority.ts';
import { KeyPairMismatchError, WrongAuthorityError } from './errors.ts';
import { generateKeyPair, keyInfoOf, signatureParams } from './key-algorithm.ts';
import { CLOCK_SKEW_MS, DAY_MS, randomSerial, resolveOptions, type GenerationOptions } from './options.ts';
import {
  decodePrivateKey,
  decodePublicKey,
  encodeCertificate,
  encodePublicKeyObject,
  privateKeyFromPair,
  samePublicKey,
  type PrivateKey,
} from './pem.ts';
import { sansOf, subjectOf, type CertificateSpec, type ClusterScope, type HostScope, type Subject } from './spec.ts';
import { effectiveKeyUsages, extKeyUsageOids, keyUsageFlags } from './usages.ts';

export interface IssuedCertificate {
  spec: CertificateSpec;
  /** MachineHost name for a per-host certificate. */
  host?: string;
  certificate: x509.X509Certificate;
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

/** Go's pkix.Name puts O before CN; the same order makes subjects read as kubeadm's do. */
export function subjectName(subject: Subject): x509.JsonName {
  return [...(subject.organizations ?? []).map((o) => ({ O: [o] })), { CN: [subject.commonName] }];
}

async function authorityKeyIdentifier(authority: Authority): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = authority.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  // A supplied CA may lack a subjectKeyIdentifier; deriving one from its public key (RFC 5280's
  // SHA-1 method) still lets chain builders and `openssl verify -x509_strict` pair the two.
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(authority.certificate);
}

export async function issueCertificate(
  spec: CertificateSpec,
  scope: ClusterScope | HostScope,
  authority: Authority,
  options?: GenerationOptions,
): Promise<IssuedCertificate> {
  if (spec.ca !== authority.spec.name) {
    throw new WrongAuthorityError(`${spec.name} is signed by CA ${spec.ca}, not by ${authority.spec.name}`);
  }
  const { keyAlgorithm, validityDays, now } = resolveOptions(options);
  const info = keyInfoOf(keyAlgorithm);
  const keys = await generateKeyPair(keyAlgorithm);
  const sans = sansOf(spec, scope);
  const ca = authority.certificate;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFlags(effectiveKeyUsages(spec.keyUsages, info)), true),
    new x509.ExtendedKeyUsageExtension(extKeyUsageOids(spec.extKeyUsages)),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await authorityKeyIdentifier(authority),
  ];
  if (sans.dns.length + sans.ips.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
        ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  // Never before the CA nor after it: a leaf outliving its CA would fail anyway when the CA expires,
  // and the expiry report should show the date that really matters.
  const notBefore = Math.max(now.getTime() - CLOCK_SKEW_MS, ca.notBefore.getTime());
  const notAfter = Math.min(now.getTime() + validityDays * DAY_MS, ca.notAfter.getTime());
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(subjectOf(spec, scope)),
    issuer: ca.subjectName,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: authority.key.cryptoKey,
    signingAlgorithm: signatureParams(authority.key.info),
    extensions,
  });
  const key = await privateKeyFromPair(keys, info);
  return {
    spec,
    ...('host' in scope ? { host: scope.host.name } : {}),
    certificate,
    certPem: encodeCertificate(certificate),
    keyPem: key.pem,
  };
}

/** The service-account token signing key: sa.key on hosts, tls.key of `<cluster>-sa`. */
export interface ServiceAccountKey {
  keyPem: string;
  /** SPKI PEM: sa.pub on hosts, tls.crt of `<cluster>-sa`. */
  publicKeyPem: string;
  key: PrivateKey;
}

export async function generateServiceAccountKey(options?: GenerationOptions): Promise<ServiceAccountKey> {
  const { keyAlgorithm } = resolveOptions(options);
  const key = await privateKeyFromPair(await generateKeyPair(keyAlgorithm), keyInfoOf(keyAlgorithm));
  return { keyPem: key.pem, publicKeyPem: encodePublicKeyObject(key.publicKey), key };
}

/** Reads a stored service-account key pair; a public key that is not the private key's half is refused. */
export async function loadServiceAccountKey(
  pem: { keyPem: string; publicKeyPem?: string },
  source = 'service-account key',
): Promise<ServiceAccountKey> {
  const key = await decodePrivateKey(pem.keyPem, source);
  const publicKeyPem = encodePublicKeyObject(key.publicKey);
  if (pem.publicKeyPem !== undefined && !samePublicKey(decodePublicKey(pem.publicKeyPem, source), key.publicKey)) {
    throw new KeyPairMismatchError(
      `${source}: the public key is not the public half of the private key; ` +
        'tokens signed with one would not verify with the other',
    );
  }
  return { keyPem: key.pem, publicKeyPem, key };
}

// Key algorithms: the two kubesmith generates (the ControlPlane's `certificates.keyAlgorithm`) and
// the wider set it accepts in a CA the user brings, since kubeadm and other tools make RSA-4096 or
// ECDSA P-384 CAs too.
import type { webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Algorithms for new keys, spelled as in the ControlPlane API. */
export type KeyAlgorithm = 'RSA2048' | 'ECDSAP256';

export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'RSA2048';

/** What a key is, whether kubesmith made it or found it. */
export type KeyInfo = { type: 'RSA'; bits: number } | { type: 'ECDSA'; curve: 'P-256' | 'P-384' };

export function keyInfoOf(algorithm: KeyAlgorithm): KeyInfo {
  return algorithm === 'RSA2048' ? { type: 'RSA', bits: 2048 } : { type: 'ECDSA', curve: 'P-256' };
}

/** `RSA-2048` or `ECDSA-P256`, for messages. */
export function describeKey(info: KeyInfo): string {
  return info.type === 'RSA' ? `RSA-${info.bits}` : `ECDSA-${info.curve.replace('-', '')}`;
}

export function sameKeyKind(a: KeyInfo, b: KeyInfo): boolean {
  return describeKey(a) === describeKey(b);
}

/** WebCrypto parameters to import a private key of this kind for signing. */
export function importParams(info: KeyInfo): webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams {
  return info.type === 'RSA'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: info.curve };
}

/**
 * The signature a CA with this key makes: SHA-256 for RSA and P-256, SHA-384 for P-384, the pairs
 * Go's crypto/x509 picks, so Kubernetes components verify what kubesmith signs.
 */
export function signatureParams(info: KeyInfo): webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams {
  return info.type === 'RSA'
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    : { name: 'ECDSA', hash: info.curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
}

export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams =
    algorithm === 'RSA2048'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  // Extractable, because every key is written out: to a Secret, to a host, into a kubeconfig.
  return (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
}

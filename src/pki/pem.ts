// PEM encoding and decoding of certificates and keys. New private keys are written as PKCS#8
// ("PRIVATE KEY"), which every Kubernetes component reads; existing keys are also accepted as
// PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY") because kubeadm writes those, and a user
// bringing a kubeadm-made CA should not have to convert it. WebCrypto imports only PKCS#8, so
// node:crypto converts, and it also derives the public half, which WebCrypto cannot do.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as x509 from './x509.ts';
import { PemError, UnsupportedKeyError } from './errors.ts';
import { importParams, type CryptoKey, type KeyInfo } from './key-algorithm.ts';

const PRIVATE_KEY_TYPES: Record<string, 'pkcs8' | 'pkcs1' | 'sec1'> = {
  'PRIVATE KEY': 'pkcs8',
  'RSA PRIVATE KEY': 'pkcs1',
  'EC PRIVATE KEY': 'sec1',
};

export interface PemBlock {
  label: string;
  /** Undefined when the body is not plain base64, as with a legacy encrypted key's headers. */
  der?: Buffer;
}

/**
 * The PEM blocks in text, in order. Lenient about whitespace (CRLF line endings from an editor,
 * blank lines, indentation from a YAML block), which stricter parsers reject although the content
 * is intact.
 */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)].map((match) => {
    const body = match[2]!.replace(/\s+/g, '');
    const base64 = /^[A-Za-z0-9+/]*={0,2}$/.test(body);
    return { label: match[1]!, ...(base64 ? { der: Buffer.from(body, 'base64') } : {}) };
  });
}

/** Labels of the PEM blocks in text, in order. */
export function pemLabels(text: string): string[] {
  return pemBlocks(text).map((block) => block.label);
}

function describeFound(text: string): string {
  const labels = pemLabels(text);
  if (text.trim() === '') return 'empty text';
  if (labels.length === 0) return 'no PEM block';
  return `${labels.length === 1 ? 'PEM block' : 'PEM blocks'} ${labels.map((l) => `"${l}"`).join(', ')}`;
}

export function encodeCertificate(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/** Parses the first CERTIFICATE block of `pem`; `subject` says what is being read, for the error. */
export function decodeCertificate(pem: string, subject: string): x509.X509Certificate {
  const block = pemBlocks(pem)[0];
  if (block?.label !== 'CERTIFICATE') {
    throw new PemError(subject, `expected a PEM CERTIFICATE, found ${describeFound(pem)}`);
  }
  if (!block.der) throw new PemError(subject, 'the CERTIFICATE block is not base64');
  try {
    return new x509.X509Certificate(block.der);
  } catch (error) {
    throw new PemError(subject, 'the CERTIFICATE block is not a valid X.509 certificate', { cause: error });
  }
}

export function encodePrivateKeyDer(pkcs8: ArrayBuffer): string {
  return `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`;
}

export async function encodePrivateKey(key: CryptoKey): Promise<string> {
  return encodePrivateKeyDer(await crypto.subtle.exportKey('pkcs8', key));
}

export async function encodePublicKey(key: CryptoKey): Promise<string> {
  return `${x509.PemConverter.encode(await crypto.subtle.exportKey('spki', key), 'PUBLIC KEY')}\n`;
}

/** A private key ready to sign with, with its public half for matching it to a certificate. */
export interface PrivateKey {
  info: KeyInfo;
  /** PKCS#8 PEM, whatever form it was read from. */
  pem: string;
  cryptoKey: CryptoKey;
  publicKey: KeyObject;
}

function keyInfoOfObject(key: KeyObject, subject: string): KeyInfo {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) {
    return { type: 'RSA', bits: details.modulusLength! };
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return { type: 'ECDSA', curve: 'P-256' };
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') return { type: 'ECDSA', curve: 'P-384' };
  const found =
    key.asymmetricKeyType === 'rsa'
      ? `RSA-${details.modulusLength}`
      : key.asymmetricKeyType === 'ec'
        ? `ECDSA ${details.namedCurve}`
        : String(key.asymmetricKeyType);
  throw new UnsupportedKeyError(subject, found);
}

export async function decodePrivateKey(pem: string, subject: string): Promise<PrivateKey> {
  const block = pemBlocks(pem)[0];
  const type = block && PRIVATE_KEY_TYPES[block.label];
  if (!block || !type) {
    const labels = Object.keys(PRIVATE_KEY_TYPES).join(', ');
    throw new PemError(subject, `expected a PEM private key (${labels}), found ${describeFound(pem)}`);
  }
  if (!block.der) {
    throw new PemError(subject, `the ${block.label} block is not plain base64; an encrypted key is not supported`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: block.der, format: 'der', type });
  } catch (error) {
    throw new PemError(subject, `the ${block.label} block is not a valid private key`, { cause: error });
  }
  const info = keyInfoOfObject(keyObject, subject);
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  const der = pkcs8.buffer.slice(pkcs8.byteOffset, pkcs8.byteOffset + pkcs8.byteLength) as ArrayBuffer;
  const cryptoKey = await crypto.subtle.importKey('pkcs8', der, importParams(info), false, ['sign']);
  return { info, pem: encodePrivateKeyDer(der), cryptoKey, publicKey: createPublicKey(keyObject) };
}

/** The key info of a certificate's public key, or undefined for a kind kubesmith does not use. */
export function certificateKeyInfo(cert: x509.X509Certificate): KeyInfo | undefined {
  try {
    return keyInfoOfObject(publicKeyObject(cert), 'certificate');
  } catch {
    return undefined;
  }
}

export function publicKeyObject(cert: x509.X509Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
}

/**
 * Whether two public keys are the same. Not KeyObject.equals: given keys of different types (an RSA
 * certificate, an ECDSA key) it leaves an OpenSSL error queued, and Node then fails the next,
 * unrelated createPrivateKey with "different key types".
 */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  if (a.asymmetricKeyType !== b.asymmetricKeyType) return false;
  const der = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });
  return der(a).equals(der(b));
}

/** Whether the private key is the other half of the certificate's public key. */
export function keyMatchesCertificate(key: PrivateKey, cert: x509.X509Certificate): boolean {
  return samePublicKey(key.publicKey, publicKeyObject(cert));
}

/** Wraps a freshly generated key pair, skipping the PEM round trip decodePrivateKey would make. */
export async function privateKeyFromPair(
  pair: { privateKey: CryptoKey; publicKey: CryptoKey },
  info: KeyInfo,
): Promise<PrivateKey> {
  const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
  return {
    info,
    pem: await encodePrivateKey(pair.privateKey),
    cryptoKey: pair.privateKey,
    publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
  };
}

export function encodePublicKeyObject(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

export function decodePublicKey(pem: string, subject: string): KeyObject {
  const block = pemBlocks(pem)[0];
  if (block?.label !== 'PUBLIC KEY' || !block.der) {
    throw new PemError(subject, `expected a PEM PUBLIC KEY, found ${describeFound(pem)}`);
  }
  try {
    return createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (error) {
    throw new PemError(subject, 'the PUBLIC KEY block cannot be read', { cause: error });
  }
}

import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCertificate,
  decodePrivateKey,
  decodePublicKey,
  generateAuthority,
  keyMatchesCertificate,
  kubeadmCertificateSet,
  PemError,
  type Authority,
} from '../../../src/pki/index.ts';
import { openssl } from './support.ts';

let ca: Authority;
beforeAll(async () => {
  ca = await generateAuthority(kubeadmCertificateSet.authority('ca'), { keyAlgorithm: 'RSA2048' });
});

describe('PEM', () => {
  it('writes certificates and PKCS#8 keys exactly as openssl writes them', () => {
    expect(openssl(['x509'], ca.certPem)).toBe(ca.certPem);
    expect(ca.keyPem.split('\n')[0]).toBe('-----BEGIN PRIVATE KEY-----');
    expect(openssl(['pkey'], ca.keyPem)).toBe(ca.keyPem);
  });

  it('reads text with CRLF line endings, blank lines and indentation, as Secrets and editors produce', async () => {
    const messy = (pem: string) => `  ${pem.replace(/\n/g, '\r\n').replace('-----\r\n', '-----\r\n\r\n  ')}\r\n`;
    const cert = decodeCertificate(messy(ca.certPem), 'cert');
    expect(Buffer.from(cert.rawData).equals(Buffer.from(ca.certificate.rawData))).toBe(true);
    const key = await decodePrivateKey(messy(ca.keyPem), 'key');
    expect(keyMatchesCertificate(key, cert)).toBe(true);
    const publicKey = openssl(['pkey', '-pubout'], ca.keyPem);
    expect(decodePublicKey(messy(publicKey), 'pub').equals(key.publicKey)).toBe(true);
  });

  it('names what it found when the text is something else', async () => {
    expect(() => decodeCertificate(ca.keyPem, 'tls.crt of Secret demo-ca')).toThrow(
      new PemError('tls.crt of Secret demo-ca', 'expected a PEM CERTIFICATE, found PEM block "PRIVATE KEY"'),
    );
    await expect(decodePrivateKey('hello', 'tls.key')).rejects.toThrow('tls.key: expected a PEM private key (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY), found no PEM block');
    const encrypted = openssl(['pkey', '-aes256', '-passout', 'pass:secret'], ca.keyPem);
    await expect(decodePrivateKey(encrypted, 'tls.key')).rejects.toThrow('found PEM block "ENCRYPTED PRIVATE KEY"');
    const legacy = openssl(['rsa', '-traditional', '-aes256', '-passout', 'pass:secret'], ca.keyPem);
    await expect(decodePrivateKey(legacy, 'tls.key')).rejects.toThrow(
      'tls.key: the RSA PRIVATE KEY block is not plain base64; an encrypted key is not supported',
    );
    const corrupt = ca.keyPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n');
    await expect(decodePrivateKey(corrupt, 'tls.key')).rejects.toThrow('tls.key: the PRIVATE KEY block is not a valid private key');
  });

  it('compares keys of different algorithms without breaking the next key read', async () => {
    const ecCa = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), { keyAlgorithm: 'ECDSAP256' });
    const rsaKey = await decodePrivateKey(ca.keyPem, 'rsa');
    expect(keyMatchesCertificate(rsaKey, ecCa.certificate)).toBe(false);
    // KeyObject.equals across key types leaves an OpenSSL error queued that failed this read.
    const ecKey = await decodePrivateKey(ecCa.keyPem, 'ec');
    expect(keyMatchesCertificate(ecKey, ecCa.certificate)).toBe(true);
  });
});

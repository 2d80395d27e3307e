// A CA the user brings, made by another tool (openssl here, as kubeadm or a corporate PKI would):
// kubesmith signs with it and hands the same CA certificate back out, or says exactly why it cannot.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuthorityLoadError,
  generateAuthority,
  generateClusterPki,
  issueCertificate,
  kubeadmCertificateSet,
  loadAuthority,
  WrongAuthorityError,
} from '../../../src/pki/index.ts';
import { cluster, cp1, DAY, openssl, opensslCertificate, plannedHosts, tempDir } from './support.ts';

const dir = tempDir();
afterAll(() => dir.remove());

const caSpec = kubeadmCertificateSet.authority('ca');
const apiserver = kubeadmCertificateSet.certificate('apiserver');

/** A CA made by openssl; `keyArgs` picks the key and its PEM form. */
function opensslCa(name: string, keyArgs: string[], days = 30): { certPem: string; keyPem: string; keyLabel: string } {
  const keyFile = `${dir.path}/${name}.key`;
  const certFile = `${dir.path}/${name}.crt`;
  // genrsa wants the bit count last, so the output file goes first.
  openssl([keyArgs[0]!, '-out', keyFile, ...keyArgs.slice(1)]);
  openssl([
    'req', '-x509', '-key', keyFile, '-out', certFile, '-subj', `/O=Example Corp/CN=${name}`, '-days', String(days),
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const keyPem = readFileSync(keyFile, 'utf8');
  return { certPem: readFileSync(certFile, 'utf8'), keyPem, keyLabel: /BEGIN ([A-Z ]+)-----/.exec(keyPem)![1]! };
}

describe('an existing CA', () => {
  const kinds = [
    { kind: 'RSA-2048, PKCS#8', args: ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], label: 'PRIVATE KEY' },
    { kind: 'RSA-3072, PKCS#1 as kubeadm writes', args: ['genrsa', '-traditional', '3072'], label: 'RSA PRIVATE KEY' },
    { kind: 'ECDSA P-256, SEC1', args: ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], label: 'EC PRIVATE KEY' },
    { kind: 'ECDSA P-384, SEC1', args: ['ecparam', '-name', 'secp384r1', '-genkey', '-noout'], label: 'EC PRIVATE KEY' },
  ];

  it.each(kinds)('is used to sign and handed back unchanged ($kind)', async ({ kind, args, label }) => {
    const name = `corp-${kind.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    const ca = opensslCa(name, args);
    expect(ca.keyLabel).toBe(label);
    const pki = await generateClusterPki({
      cluster,
      hosts: plannedHosts.slice(0, 1),
      options: { keyAlgorithm: 'ECDSAP256' },
      authorities: { ca },
    });
    const authority = pki.authorities.get('ca')!;
    expect(authority.origin).toBe('loaded');
    expect(authority.certPem).toBe(ca.certPem);
    // The others are still generated.
    expect(pki.authorities.get('etcd/ca')!.origin).toBe('generated');
    const leaf = pki.hosts.get('cp-1')!.get('apiserver')!;
    const leafFile = dir.write(`${name}-apiserver.crt`, leaf.certPem);
    const caFile = `${dir.path}/${name}.crt`;
    expect(openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, leafFile])).toContain(': OK');
    expect(opensslCertificate(leaf.certPem).issuer).toBe(`O = Example Corp, CN = ${name}`);
    // The CA's key is written to hosts as PKCS#8, whatever form it came in.
    expect(authority.keyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(openssl(['pkey', '-pubout'], authority.keyPem)).toBe(openssl(['pkey', '-pubout'], ca.keyPem));
  }, 60_000);

  async function loadError(pem: { certPem: string; keyPem: string }, now?: Date): Promise<AuthorityLoadError> {
    try {
      await loadAuthority(caSpec, pem, now ? { now } : {});
    } catch (error) {
      expect(error).toBeInstanceOf(AuthorityLoadError);
      return error as AuthorityLoadError;
    }
    throw new Error('loadAuthority accepted a CA it should have refused');
  }

  it('is refused when the key belongs to another certificate', async () => {
    const a = opensslCa('corp-a', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    const b = opensslCa('corp-b', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    const error = await loadError({ certPem: a.certPem, keyPem: b.keyPem });
    expect(error.reasons).toEqual(['KeyMismatch']);
    expect(error.authority).toBe('ca');
    expect(error.message).toContain('CA ca cannot be used: the private key does not belong to certificate "O=Example Corp, CN=corp-a"');
  });

  it('is refused when it is not a CA, reporting every problem at once', async () => {
    const ca = await generateAuthority(caSpec, { keyAlgorithm: 'ECDSAP256' });
    const leaf = await issueCertificate(apiserver, { cluster, host: cp1 }, ca, { keyAlgorithm: 'ECDSAP256' });
    const other = await issueCertificate(apiserver, { cluster, host: cp1 }, ca, { keyAlgorithm: 'ECDSAP256' });
    const error = await loadError({ certPem: leaf.certPem, keyPem: other.keyPem });
    expect(error.reasons).toEqual(['NotACertificateAuthority', 'NotACertificateAuthority', 'KeyMismatch']);
    expect(error.message).toContain('is not a CA (basicConstraints CA:TRUE is missing)');
    expect(error.message).toContain('keyUsage lacks keyCertSign');
  });

  it('is refused when expired', async () => {
    const ca = opensslCa('corp-short', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], 1);
    const error = await loadError(ca, new Date(Date.now() + 2 * DAY));
    expect(error.reasons).toEqual(['Expired']);
    expect(error.message).toMatch(/certificate "O=Example Corp, CN=corp-short" expired at \d{4}-/);
  });

  it('is refused with the PEM problem named when the text is not a certificate and key', async () => {
    const ca = opensslCa('corp-c', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
    const swapped = await loadError({ certPem: ca.keyPem, keyPem: ca.certPem });
    expect(swapped.reasons).toEqual(['CertificateUnreadable', 'KeyUnreadable']);
    expect(swapped.problems[0]!.message).toBe('CA ca certificate: expected a PEM CERTIFICATE, found PEM block "EC PRIVATE KEY"');
    expect(swapped.problems[1]!.message).toContain('found PEM block "CERTIFICATE"');
    expect(swapped.cause).toBeInstanceOf(AggregateError);
    const empty = await loadError({ certPem: '', keyPem: ca.keyPem });
    expect(empty.problems[0]!.message).toBe('CA ca certificate: expected a PEM CERTIFICATE, found empty text');
  });

  it('is refused when its key is of a kind Kubernetes components do not all accept', async () => {
    const ed = opensslCa('corp-ed', ['genpkey', '-algorithm', 'ed25519']);
    const error = await loadError(ed);
    expect(error.reasons).toEqual(['KeyUnreadable']);
    expect(error.message).toContain('ed25519 keys are not supported; use RSA (2048 bits or more) or ECDSA P-256/P-384');
  });

  it('signs only the certificates its spec says it signs', async () => {
    const etcdCa = await generateAuthority(kubeadmCertificateSet.authority('etcd/ca'), { keyAlgorithm: 'ECDSAP256' });
    await expect(issueCertificate(apiserver, { cluster, host: cp1 }, etcdCa)).rejects.toThrow(WrongAuthorityError);
  });
});

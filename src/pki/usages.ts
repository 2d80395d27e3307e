// Key usage and extended key usage: names in specs, flags and OIDs in certificates.
import * as x509 from './x509.ts';
import type { KeyInfo } from './key-algorithm.ts';
import type { ExtKeyUsageName, KeyUsageName } from './spec.ts';

const KEY_USAGE_FLAGS: Record<KeyUsageName, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

const EXT_KEY_USAGE_OIDS: Record<ExtKeyUsageName, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

/** The usages a key of this kind should carry: keyEncipherment is RSA key transport only. */
export function effectiveKeyUsages(usages: readonly KeyUsageName[], key: KeyInfo): KeyUsageName[] {
  return usages.filter((u) => u !== 'keyEncipherment' || key.type === 'RSA');
}

export function keyUsageFlags(usages: readonly KeyUsageName[]): number {
  return usages.reduce((flags, u) => flags | KEY_USAGE_FLAGS[u], 0);
}

export function extKeyUsageOids(usages: readonly ExtKeyUsageName[]): string[] {
  return usages.map((u) => EXT_KEY_USAGE_OIDS[u]);
}

/** Names of every key usage bit set in a certificate; unknown bits appear as `bit<N>`. */
export function keyUsagesOf(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.KeyUsagesExtension);
  if (!ext) return [];
  const named = Object.entries(x509.KeyUsageFlags).filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number' && (ext.usages & entry[1]) !== 0,
  );
  return named.map(([name]) => name);
}

/** Extended key usages of a certificate, by name where kubesmith knows it, else by OID. */
export function extKeyUsagesOf(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (!ext) return [];
  const names = Object.entries(EXT_KEY_USAGE_OIDS);
  return ext.usages.map((oid) => names.find(([, o]) => o === String(oid))?.[0] ?? String(oid));
}

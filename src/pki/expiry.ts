// Expiry dates for the ControlPlane's status (`status.certificates`), soonest first, so the top of
// the list is what needs attention.
import type * as x509 from './x509.ts';
import type { ClusterPki } from './cluster-pki.ts';

export interface ExpiryEntry {
  name: string;
  host?: string;
  /** RFC 3339. */
  notAfter: string;
}

export interface ExpiryItem {
  name: string;
  host?: string;
  certificate: x509.X509Certificate;
}

export function expiryReport(items: Iterable<ExpiryItem>): ExpiryEntry[] {
  const entries = [...items].map((item) => ({
    name: item.name,
    ...(item.host === undefined ? {} : { host: item.host }),
    notAfter: item.certificate.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  }));
  return entries.sort(
    (a, b) =>
      a.notAfter.localeCompare(b.notAfter) || a.name.localeCompare(b.name) || (a.host ?? '').localeCompare(b.host ?? ''),
  );
}

/** Every certificate of a cluster's PKI: CAs, cluster-wide and per-host certificates. */
export function clusterExpiryReport(pki: ClusterPki): ExpiryEntry[] {
  const items: ExpiryItem[] = [
    ...[...pki.authorities.values()].map((a) => ({ name: a.spec.name, certificate: a.certificate })),
    ...[...pki.cluster.values()].map((c) => ({ name: c.spec.name, certificate: c.certificate })),
    ...[...pki.hosts].flatMap(([host, certs]) =>
      [...certs.values()].map((c) => ({ name: c.spec.name, host, certificate: c.certificate })),
    ),
  ];
  return expiryReport(items);
}

// Building SAN lists from a mix of names and addresses, the way kubeadm's certSANs are given.
import { canonicalIp, isIpAddress } from './ip.ts';
import type { SubjectAltNames } from './spec.ts';

/** Sorts each entry into DNS names or IPs, canonicalises IPs and drops repeats, keeping order. */
export function altNames(...entries: readonly (string | undefined)[]): SubjectAltNames {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const entry of entries) {
    if (entry === undefined || entry === '') continue;
    if (isIpAddress(entry)) {
      const ip = canonicalIp(entry);
      if (!ips.includes(ip)) ips.push(ip);
    } else {
      const name = entry.toLowerCase();
      if (!dns.includes(name)) dns.push(name);
    }
  }
  return { dns, ips };
}

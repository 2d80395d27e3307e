import { UnsupportedOsError } from '../errors.ts';
import type { HostSession } from '../host-session.ts';
import { Debian } from './debian.ts';
import type { OperatingSystem } from './operating-system.ts';
import { describeOs, likeIds, parseOsRelease, type OsRelease } from './os-release.ts';
import { Rhel } from './rhel.ts';
import { Ubuntu } from './ubuntu.ts';

interface Registration {
  name: string;
  matches: (release: OsRelease) => boolean;
  create: (release: OsRelease) => OperatingSystem;
}

const RHEL_IDS = new Set(['rhel', 'centos', 'rocky', 'almalinux', 'ol', 'fedora']);

// The first match wins, so more specific entries come first.
const registry: readonly Registration[] = [
  { name: 'Ubuntu', matches: (r) => r.ID === 'ubuntu', create: (r) => new Ubuntu(r) },
  { name: 'Debian', matches: (r) => r.ID === 'debian', create: (r) => new Debian(r) },
  {
    name: 'RHEL family (RHEL, CentOS Stream, Rocky Linux, AlmaLinux, Oracle Linux, Fedora)',
    matches: (r) => RHEL_IDS.has(r.ID ?? '') || likeIds(r).includes('rhel'),
    create: (r) => new Rhel(r),
  },
];

export const supportedOperatingSystems: readonly string[] = registry.map((r) => r.name);

/** Picks the implementation for an /etc/os-release text; anything unknown is an error naming what was found. */
export function selectOs(host: string, osReleaseText: string): OperatingSystem {
  const release = parseOsRelease(osReleaseText);
  const found = registry.find((r) => r.matches(release));
  if (!found) throw new UnsupportedOsError(host, describeOs(release), supportedOperatingSystems);
  return found.create(release);
}

/** Reads /etc/os-release (or /usr/lib/os-release, its fallback per os-release(5)) in one round trip. */
export async function detectOs(session: HostSession): Promise<OperatingSystem> {
  const { stdout } = await session.check('cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release', {
    unprivileged: true,
    timeoutMs: 30_000,
  });
  return selectOs(session.host, stdout);
}

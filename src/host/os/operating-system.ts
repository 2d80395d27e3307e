import type { HostSession } from '../host-session.ts';
import type { OsRelease } from './os-release.ts';

/**
 * What kubesmith needs to know and do that differs between distributions. Callers never branch on
 * the distribution; they ask this.
 */
export interface OperatingSystem {
  /** ID from /etc/os-release, such as `debian` or `rocky`. */
  readonly id: string;
  readonly versionId: string | undefined;
  readonly prettyName: string;
  readonly packageManager: 'apt' | 'dnf';
  /** systemd units that keep the clock in sync, in order of preference. */
  readonly timeSyncUnits: readonly string[];
  /** Installs packages non-interactively; installed ones are left alone. */
  installPackages(session: HostSession, names: readonly string[]): Promise<void>;
  /** Versions of those packages that are installed; missing ones are absent from the map. */
  packageVersions(session: HostSession, names: readonly string[]): Promise<Map<string, string>>;
}

export abstract class BaseOs implements OperatingSystem {
  abstract readonly packageManager: 'apt' | 'dnf';
  abstract readonly timeSyncUnits: readonly string[];
  readonly id: string;
  readonly versionId: string | undefined;
  readonly prettyName: string;

  constructor(release: OsRelease) {
    this.id = release.ID ?? 'unknown';
    this.versionId = release.VERSION_ID;
    this.prettyName = release.PRETTY_NAME ?? [this.id, this.versionId].filter(Boolean).join(' ');
  }

  abstract installPackages(session: HostSession, names: readonly string[]): Promise<void>;
  abstract packageVersions(session: HostSession, names: readonly string[]): Promise<Map<string, string>>;
}

/** Reads `name version` lines, as the package queries below print them. */
export function parseNameVersionLines(stdout: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, version] = line.trim().split(/\s+/);
    if (name && version) versions.set(name, version);
  }
  return versions;
}

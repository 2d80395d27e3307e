import type { HostSession } from '../host-session.ts';
import { shellJoin } from '../shell.ts';
import { BaseOs, parseNameVersionLines } from './operating-system.ts';

/** RHEL and its rebuilds (CentOS Stream, Rocky Linux, AlmaLinux, Oracle Linux) and Fedora. */
export class Rhel extends BaseOs {
  readonly packageManager = 'dnf' as const;
  readonly timeSyncUnits: readonly string[] = ['chronyd.service'];

  async installPackages(session: HostSession, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await session.check(`dnf install -y -q ${shellJoin(names)}`, {
      changes: `installed ${names.join(', ')} with dnf`,
      timeoutMs: 600_000,
    });
  }

  async packageVersions(session: HostSession, names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    const { stdout } = await session.exec(
      `rpm -q --qf '%{NAME} %{VERSION}-%{RELEASE}\\n' ${shellJoin(names)} | grep -v 'is not installed'`,
      { unprivileged: true },
    );
    return parseNameVersionLines(stdout);
  }
}

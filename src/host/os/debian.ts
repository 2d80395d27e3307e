import type { HostSession } from '../host-session.ts';
import { shellJoin } from '../shell.ts';
import { BaseOs, parseNameVersionLines } from './operating-system.ts';

export class Debian extends BaseOs {
  readonly packageManager = 'apt' as const;
  readonly timeSyncUnits: readonly string[] = ['systemd-timesyncd.service', 'chrony.service', 'ntp.service'];

  async installPackages(session: HostSession, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    // The package lists may be missing (minimal images) or stale; refresh them in the same command.
    await session.check(
      `apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${shellJoin(names)}`,
      { changes: `installed ${names.join(', ')} with apt`, timeoutMs: 600_000 },
    );
  }

  async packageVersions(session: HostSession, names: readonly string[]): Promise<Map<string, string>> {
    if (names.length === 0) return new Map();
    // dpkg-query fails for unknown names but still prints the known ones.
    const query = `dpkg-query -W -f='\${Package} \${Version} \${db:Status-Status}\\n' ${shellJoin(names)} 2>/dev/null`;
    const { stdout } = await session.exec(`${query} | awk '$3 == "installed" { print $1, $2 }'`, { unprivileged: true });
    return parseNameVersionLines(stdout);
  }
}

// Whether a running unit still runs old settings: its process started before one of its files (unit,
// binary, configuration) last changed. Decided from the host, not from what this reconcile wrote, so
// a restart held back (another member unhealthy) or cut short (the operator stopped) is still done
// by a later reconcile. Times are compared in nanoseconds; where systemd cannot show microseconds
// (before v248) the start counts from its whole second, so a file changed in that second counts as
// newer: at worst one restart too many, never one missed.
import { shellJoin } from '../../host/index.ts';

export interface UnitFiles {
  /** systemd unit name without `.service`. */
  unit: string;
  files: readonly string[];
}

/** A shell fragment printing `stale:<unit>` for each running unit older than one of its files. */
export function staleUnitsScript(units: readonly UnitFiles[]): string {
  return units
    .map(
      ({ unit, files }) =>
        `if systemctl is-active --quiet ${unit}; then ` +
        `s=$(systemctl show --timestamp=us -p ExecMainStartTimestamp --value ${unit} 2>/dev/null || systemctl show -p ExecMainStartTimestamp --value ${unit}); ` +
        `t=$(date -d "$s" +%s%N 2>/dev/null || echo 0); m=$(stat -c %.9Y ${shellJoin(files)} 2>/dev/null | tr -d . | sort -n | tail -n 1); ` +
        // A start time that cannot be read tells nothing: never a reason to restart.
        `if [ "$t" -gt 0 ] && [ "\${m:-0}" -gt "$t" ]; then echo stale:${unit}; fi; fi`,
    )
    .join('; ');
}

export function staleUnitsIn(stdout: string): Set<string> {
  return new Set(stdout.split('\n').filter((l) => l.startsWith('stale:')).map((l) => l.slice('stale:'.length)));
}

// Several files on a host in one round trip: their contents, for reviewing what a host already has,
// and their removal, for taking back what kubesmith put there.
// Each file comes back base64-encoded on its own line, so any content survives the trip.
import { shellJoin, type HostSession } from '../host/index.ts';

/** Path to content for the files that exist; absent files are left out. */
export async function readFiles(session: HostSession, paths: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (paths.length === 0) return found;
  const script = `for p in ${shellJoin(paths)}; do if [ -f "$p" ]; then printf '+'; base64 -w0 < "$p"; echo; else echo -; fi; done`;
  const { stdout } = await session.check(script, { timeoutMs: 30_000 });
  const lines = stdout.split('\n');
  for (const [i, path] of paths.entries()) {
    const line = lines[i] ?? '-';
    if (line.startsWith('+')) found.set(path, Buffer.from(line.slice(1), 'base64').toString('utf8'));
  }
  return found;
}

/** Removes those of the files that exist, in one round trip; a change is recorded only if one did. */
export async function removeFiles(session: HostSession, paths: readonly string[], description: string): Promise<boolean> {
  if (paths.length === 0) return false;
  const script = `n=0; for p in ${shellJoin(paths)}; do if [ -e "$p" ] || [ -L "$p" ]; then rm -f -- "$p" && n=$((n+1)); fi; done; echo $n`;
  const result = await session.check(script, { timeoutMs: 30_000 });
  const removed = Number(result.stdout.trim()) > 0;
  if (removed) session.recordChange(description, script, 0, result.durationMs);
  return removed;
}

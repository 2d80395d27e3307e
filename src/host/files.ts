import { createHash } from 'node:crypto';
import { dirname } from 'node:path/posix';
import { stderrTail } from './command.ts';
import { CommandFailedError } from './errors.ts';
import type { HostSession } from './host-session.ts';
import { shellJoin, shellQuote } from './shell.ts';

export interface FileSpec {
  path: string;
  content: string | Buffer;
  /** Permission bits, such as 0o600 (default 0o644). */
  mode?: number;
  owner?: string;
  group?: string;
}

export interface FileState {
  path: string;
  exists: boolean;
  sha256?: string;
  mode?: number;
  owner?: string;
  group?: string;
}

export interface WriteResult {
  path: string;
  /** False when the host already had this content, mode and ownership, and nothing was written. */
  changed: boolean;
  /** True when only mode or ownership had to change; the content and its mtime were kept. */
  metadataOnly: boolean;
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

const ABSENT = 'absent';

/** Content hash, mode and owner of several files in one round trip. */
export async function readFileStates(session: HostSession, paths: readonly string[]): Promise<FileState[]> {
  if (paths.length === 0) return [];
  for (const p of paths) assertAbsolute(p);
  const script =
    `for p in ${shellJoin(paths)}; do ` +
    `if [ -f "$p" ]; then printf '%s %s\\n' "$(stat -L -c '%a %U %G' -- "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"; ` +
    `else echo ${ABSENT}; fi; done`;
  const { stdout } = await session.check(script, { timeoutMs: 30_000 });
  const lines = stdout.trimEnd().split('\n');
  return paths.map((path, i) => parseState(path, lines[i]));
}

function parseState(path: string, line: string | undefined): FileState {
  if (line === undefined || line === ABSENT) return { path, exists: false };
  const [mode, owner, group, sha256] = line.split(' ');
  return { path, exists: true, mode: Number.parseInt(mode ?? '', 8), owner, group, sha256 };
}

/**
 * Writes a file when its content, mode or ownership differs from the spec. Content travels on
 * stdin into `install`, never on the command line, and replaces the file by rename so readers never
 * see half of it. A file that differs only in mode or ownership keeps its content and mtime.
 */
export async function writeFile(session: HostSession, spec: FileSpec, known?: FileState): Promise<WriteResult> {
  assertAbsolute(spec.path);
  const state = known ?? (await readFileStates(session, [spec.path]))[0];
  const mode = spec.mode ?? 0o644;
  const owner = spec.owner ?? 'root';
  const group = spec.group ?? 'root';
  const modeText = mode.toString(8).padStart(4, '0');
  const sameMeta = state?.mode === mode && state.owner === owner && state.group === group;
  const sameContent = state?.exists === true && state.sha256 === sha256Hex(spec.content);
  if (sameContent && sameMeta) return { path: spec.path, changed: false, metadataOnly: false };

  const path = shellQuote(spec.path);
  const started = performance.now();
  if (sameContent) {
    const command = `chown ${shellQuote(`${owner}:${group}`)} -- ${path} && chmod ${modeText} -- ${path}`;
    await session.check(command);
    session.recordChange(`set ${spec.path} to mode ${modeText} ${owner}:${group}`, command, 0, elapsed(started));
    return { path: spec.path, changed: true, metadataOnly: true };
  }
  const staged = shellQuote(`${spec.path}.kubesmith-new`);
  const command =
    `mkdir -p -- ${shellQuote(dirname(spec.path))} && ` +
    `install -m ${modeText} -o ${shellQuote(owner)} -g ${shellQuote(group)} /dev/stdin ${staged} && ` +
    `mv -f -- ${staged} ${path}`;
  await session.check(command, { stdin: spec.content });
  session.recordChange(`wrote ${spec.path} (${modeText} ${owner}:${group})`, command, 0, elapsed(started));
  return { path: spec.path, changed: true, metadataOnly: false };
}

/** Writes several files, reading all their states in one round trip first; unchanged files cost nothing more. */
export async function writeFiles(session: HostSession, specs: readonly FileSpec[]): Promise<WriteResult[]> {
  const states = await readFileStates(session, specs.map((s) => s.path));
  const results: WriteResult[] = [];
  for (const [i, spec] of specs.entries()) results.push(await writeFile(session, spec, states[i]));
  return results;
}

/** The content of a file, or undefined when there is none. */
export async function readFile(session: HostSession, path: string): Promise<string | undefined> {
  assertAbsolute(path);
  const command = `cat -- ${shellQuote(path)}`;
  const result = await session.exec(command);
  if (result.exitCode === 0) return result.stdout;
  if (/No such file or directory/.test(result.stderr)) return undefined;
  throw new CommandFailedError(session.host, command, result.exitCode, stderrTail(result.stderr));
}

function assertAbsolute(path: string): void {
  if (!path.startsWith('/') || path.includes('\n')) throw new TypeError(`"${path}" must be an absolute path on one line`);
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

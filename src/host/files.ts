import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path/posix';
import { Readable } from 'node:stream';
import { stderrTail } from './command.ts';
import { CommandFailedError } from './errors.ts';
import type { HostSession } from './host-session.ts';
import { shellJoin, shellQuote } from './shell.ts';

/** A file on a host, apart from its content. */
export interface FileTarget {
  path: string;
  /** Permission bits, such as 0o600 (default 0o644). */
  mode?: number;
  owner?: string;
  group?: string;
}

export interface FileSpec extends FileTarget {
  content: string | Buffer;
}

/** A host file whose content is a local file, too big to hold in memory: it is sent as a stream. */
export interface UploadSpec extends FileTarget {
  localPath: string;
  /**
   * SHA-256 of the local file, which the caller knows because it verified the file. It decides
   * whether anything is sent, and the host checks what arrived against it.
   */
  sha256: string;
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

/** What `put` sends: the content's hash, and the content itself, opened only when it is sent. */
interface Content {
  sha256: string;
  open(): Promise<string | Buffer | Readable>;
  timeoutMs?: number;
}

/** A binary of 100 MB over a slow link (1 MB/s) takes nearly all of the default two minutes. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * Writes a file when its content, mode or ownership differs from the spec. Content travels on
 * stdin into `install`, never on the command line, and replaces the file by rename so readers never
 * see half of it. A file that differs only in mode or ownership keeps its content and mtime.
 */
export function writeFile(session: HostSession, spec: FileSpec, known?: FileState): Promise<WriteResult> {
  return put(session, spec, { sha256: sha256Hex(spec.content), open: async () => spec.content }, known);
}

/** Like writeFile, with the content streamed from a local file, which is opened only if it is sent. */
export async function uploadFile(session: HostSession, spec: UploadSpec, known?: FileState): Promise<WriteResult> {
  if (!/^[0-9a-f]{64}$/.test(spec.sha256)) throw new TypeError(`"${spec.sha256}" must be a SHA-256 in lowercase hex`);
  // Opened before the command is sent, so a file that cannot be opened fails the call with no round trip.
  const openLocal = async () => (await open(spec.localPath)).createReadStream();
  return put(session, spec, { sha256: spec.sha256, open: openLocal, timeoutMs: UPLOAD_TIMEOUT_MS }, known);
}

async function put(session: HostSession, spec: FileTarget, content: Content, known?: FileState): Promise<WriteResult> {
  assertAbsolute(spec.path);
  const state = known ?? (await readFileStates(session, [spec.path]))[0];
  const mode = spec.mode ?? 0o644;
  const owner = spec.owner ?? 'root';
  const group = spec.group ?? 'root';
  const modeText = mode.toString(8).padStart(4, '0');
  const sameMeta = state?.mode === mode && state.owner === owner && state.group === group;
  const sameContent = state?.exists === true && state.sha256 === content.sha256;
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
  // A connection lost mid-transfer ends stdin as if the content were complete, and install would
  // keep the half that came; the hash check before the rename keeps the old file instead.
  const command =
    `mkdir -p -- ${shellQuote(dirname(spec.path))} && ` +
    `install -m ${modeText} -o ${shellQuote(owner)} -g ${shellQuote(group)} /dev/stdin ${staged} && ` +
    `if [ "$(sha256sum < ${staged} | cut -d' ' -f1)" = ${shellQuote(content.sha256)} ]; then mv -f -- ${staged} ${path}; ` +
    `else rm -f -- ${staged}; echo 'the content arrived incomplete or changed; the file was left as it was' >&2; exit 1; fi`;
  const stdin = await content.open();
  try {
    await session.check(command, { stdin, ...(content.timeoutMs ? { timeoutMs: content.timeoutMs } : {}) });
  } finally {
    // A command that never ran, or ended before reading all its input, leaves the file open.
    if (stdin instanceof Readable) stdin.destroy();
  }
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

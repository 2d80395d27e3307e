import type { Readable } from 'node:stream';
import { shellQuote } from './shell.ts';

export interface ExecOptions {
  /**
   * A stream is piped with backpressure; if reading it fails, the channel is closed and the call
   * fails with that error. It must not be read from or fail before the command starts (a file
   * stream from an open FileHandle qualifies), and its owner destroys it after.
   */
  stdin?: string | Buffer | Readable;
  /** Stops the command after this long (default: the session's). */
  timeoutMs?: number;
  /** Runs as the login user; by default commands run as root (through `sudo -n` for other users). */
  unprivileged?: boolean;
  /**
   * Marks a command that changes the host, so the session's observer records it. A string
   * describes the change for people ("disabled swap"); `true` lets the command speak for itself.
   */
  changes?: boolean | string;
}

export interface ExecResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Extra time the local deadline leaves the remote `timeout` to stop the command and report. */
export const LOCAL_GRACE_MS = 3_000;
const KILL_AFTER_S = 2;

/**
 * The command line sent to the host: the command runs under `sh -c` inside `timeout`, which
 * kills its whole process group at the deadline (closing the channel alone leaves orphans), with
 * a fixed locale so output parses the same everywhere, behind `sudo -n` when root is wanted.
 */
export function remoteCommand(command: string, options: { sudo: boolean; timeoutMs: number }): string {
  const seconds = Math.max(options.timeoutMs / 1000, 0.001).toFixed(3);
  const inner = `env LC_ALL=C timeout -k ${KILL_AFTER_S} ${seconds} sh -c ${shellQuote(command)}`;
  return options.sudo ? `sudo -n -- ${inner}` : inner;
}

/** `timeout` exits 124 when it stopped the command with TERM, 137 when it needed KILL. */
export function stoppedByTimeout(exitCode: number | null, elapsedMs: number, timeoutMs: number): boolean {
  return (exitCode === 124 || exitCode === 137) && elapsedMs >= timeoutMs;
}

export type SudoRefusal = 'password-required' | 'not-permitted';

/**
 * Recognises sudo's own refusal from its exit code and first line of stderr; the command never
 * started then, so nothing else wrote there.
 */
export function sudoRefusal(exitCode: number | null, stderr: string): SudoRefusal | undefined {
  if (exitCode !== 1) return undefined;
  const first = stderr.split('\n', 1)[0] ?? '';
  if (/^sudo: (a password is required|a terminal is required)/.test(first)) return 'password-required';
  if (/^Sorry, user \S+ (is not allowed to execute|may not run sudo)|^\S+ is not in the sudoers file/.test(first)) {
    return 'not-permitted';
  }
  return undefined;
}

/** The last lines of stderr, short enough for an error message or a condition. */
export function stderrTail(stderr: string, lines = 5, chars = 600): string {
  const tail = stderr.trimEnd().split('\n').slice(-lines).join('\n');
  return tail.length > chars ? `...${tail.slice(-chars)}` : tail;
}

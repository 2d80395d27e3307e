import {
  LOCAL_GRACE_MS,
  remoteCommand,
  stderrTail,
  stoppedByTimeout,
  sudoRefusal,
  type ExecOptions,
  type ExecResult,
} from './command.ts';
import {
  CommandFailedError,
  CommandTimeoutError,
  SudoNotPermittedError,
  SudoPasswordRequiredError,
  WorkAbortedError,
  type HostError,
} from './errors.ts';
import type { HostKey } from './host-key.ts';
import { Redactor } from './redact.ts';
import type { SshConnection } from './ssh-connection.ts';

/** A command that changed (or tried to change) a host, secrets already redacted. */
export interface HostChange {
  host: string;
  description: string;
  command: string;
  /** Null when the command was stopped at its timeout. */
  exitCode: number | null;
  durationMs: number;
}

export type HostObserver = (change: HostChange) => void;

export interface SessionOptions {
  user: string;
  observer?: HostObserver;
  redactor?: Redactor;
  defaultTimeoutMs?: number;
  /** Once aborted, no further command is started: a process that lost its lease stops changing hosts. */
  signal?: AbortSignal;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/**
 * One unit of work on a host over a pooled connection: runs commands as root (through `sudo -n`
 * for other users), stops them at a timeout, reports changes to the observer and keeps secrets out
 * of what it reports. Once sudo has refused, it runs nothing more.
 */
export class HostSession {
  readonly redactor: Redactor;
  readonly #connection: SshConnection;
  readonly #user: string;
  readonly #observer: HostObserver | undefined;
  readonly #defaultTimeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  #refused: HostError | undefined;

  constructor(connection: SshConnection, options: SessionOptions) {
    this.#connection = connection;
    this.#user = options.user;
    this.#observer = options.observer;
    this.redactor = options.redactor ?? new Redactor();
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#signal = options.signal;
  }

  get host(): string {
    return this.#connection.host;
  }

  get user(): string {
    return this.#user;
  }

  get hostKey(): HostKey {
    return this.#connection.hostKey;
  }

  get bastionHostKey(): HostKey | undefined {
    return this.#connection.bastionHostKey;
  }

  /** Runs a command and returns its exit code and output, whatever the exit code. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.#refused) throw this.#refused;
    if (this.#signal?.aborted) throw new WorkAbortedError(this.host, this.redactor.redact(command));
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    const sudo = !options.unprivileged && this.#user !== 'root';
    const started = performance.now();
    const raw = await this.#connection.exec(remoteCommand(command, { sudo, timeoutMs }), {
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      deadlineMs: timeoutMs + LOCAL_GRACE_MS,
    });
    const durationMs = Math.round(performance.now() - started);

    if (sudo) this.#checkSudo(raw.exitCode, raw.stderr);
    const timedOut = raw.deadlinePassed || stoppedByTimeout(raw.exitCode, durationMs, timeoutMs);
    if (options.changes) this.#notify(command, options.changes, timedOut ? null : raw.exitCode, durationMs);
    if (timedOut) throw new CommandTimeoutError(this.host, this.redactor.redact(command), timeoutMs);
    // A process killed by a signal has no exit code; report it the way a shell does.
    const exitCode = raw.exitCode ?? 128;
    return { command, exitCode, stdout: raw.stdout, stderr: raw.stderr, durationMs };
  }

  /** Like exec, but a non-zero exit code throws CommandFailedError. */
  async check(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(command, options);
    if (result.exitCode !== 0) {
      throw new CommandFailedError(
        this.host,
        this.redactor.redact(command),
        result.exitCode,
        this.redactor.redact(stderrTail(result.stderr)),
      );
    }
    return result;
  }

  /** Tells the observer about a change made by other means than one command (a file write). */
  recordChange(description: string, command: string, exitCode: number, durationMs: number): void {
    this.#notify(command, description, exitCode, durationMs);
  }

  #checkSudo(exitCode: number | null, stderr: string): void {
    const refusal = sudoRefusal(exitCode, stderr);
    if (refusal === 'password-required') this.#refused = new SudoPasswordRequiredError(this.host, this.#user);
    if (refusal === 'not-permitted') {
      this.#refused = new SudoNotPermittedError(this.host, this.#user, stderr.trim().split('\n')[0] ?? '');
    }
    if (this.#refused) throw this.#refused;
  }

  #notify(command: string, changes: true | string, exitCode: number | null, durationMs: number): void {
    if (!this.#observer) return;
    const redacted = this.redactor.redact(command);
    const description = typeof changes === 'string' ? this.redactor.redact(changes) : redacted;
    try {
      this.#observer({ host: this.host, description, command: redacted, exitCode, durationMs });
    } catch {
      // Recording is best effort: a failing observer must not turn a done change into a failure.
    }
  }
}

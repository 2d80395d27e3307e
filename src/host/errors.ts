// Every failure of host access is a HostError whose `reason` is a CamelCase constant a controller can
// put on a condition as it is; the message says what was expected, what was found and what to do.

import { KubesmithError } from '../errors.ts';

export abstract class HostError extends KubesmithError {
  readonly host: string;

  constructor(host: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.host = host;
  }
}

export class HostUnreachableError extends HostError {
  readonly reason = 'HostUnreachable';
}

export class AuthenticationFailedError extends HostError {
  readonly reason = 'AuthenticationFailed';
  override readonly needsPerson = true;
}

export class ConnectionLostError extends HostError {
  readonly reason = 'ConnectionLost';
}

export class HostKeyMismatchError extends HostError {
  readonly reason = 'HostKeyMismatch';
  override readonly needsPerson = true;
  readonly expectedFingerprint: string;
  /** Undefined when the host offered no key of the pinned type at all. */
  readonly foundFingerprint: string | undefined;
  readonly foundKey: string | undefined;

  constructor(
    host: string,
    expectedFingerprint: string,
    found: { fingerprint: string; line: string } | undefined,
    options?: ErrorOptions,
  ) {
    super(
      host,
      (found
        ? `${host} presented host key ${found.fingerprint} but ${expectedFingerprint} is pinned, so nothing was run. ` +
          `If the machine was reinstalled on purpose, pin the new key ("${found.line}"); `
        : `${host} offers no host key of the pinned key's type (${expectedFingerprint} is pinned), so nothing was run. ` +
          'If the machine was reinstalled on purpose, pin one of its current keys; ') +
        'otherwise find out who answers at this address.',
      options,
    );
    this.expectedFingerprint = expectedFingerprint;
    this.foundFingerprint = found?.fingerprint;
    this.foundKey = found?.line;
  }
}

export class SudoPasswordRequiredError extends HostError {
  readonly reason = 'SudoPasswordRequired';
  override readonly needsPerson = true;
  readonly user: string;

  constructor(host: string, user: string) {
    super(
      host,
      `sudo on ${host} asks ${user} for a password, so nothing was run; give ${user} passwordless sudo ` +
        `(for example "${user} ALL=(ALL) NOPASSWD:ALL" in /etc/sudoers.d/${user}) or log in as root.`,
    );
    this.user = user;
  }
}

export class SudoNotPermittedError extends HostError {
  readonly reason = 'SudoNotPermitted';
  override readonly needsPerson = true;
  readonly user: string;

  constructor(host: string, user: string, detail: string) {
    super(
      host,
      `${user} may not use sudo on ${host} (${detail}), so nothing was run; grant ${user} passwordless sudo or log in as root.`,
    );
    this.user = user;
  }
}

/** The work was stopped (shutdown or lost leadership) before this command: it was not run. */
export class WorkAbortedError extends HostError {
  readonly reason = 'Aborted';

  constructor(host: string, command: string) {
    super(host, `"${command}" was not run on ${host}: the work was stopped (shutdown or lost leadership)`);
  }
}

export class CommandTimeoutError extends HostError {
  readonly reason = 'CommandTimedOut';
  readonly command: string;
  readonly timeoutMs: number;

  constructor(host: string, command: string, timeoutMs: number) {
    super(
      host,
      `"${command}" on ${host} did not finish within ${timeoutMs} ms and was stopped; raise the timeout or find what it waits for.`,
    );
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

export class CommandFailedError extends HostError {
  readonly reason = 'CommandFailed';
  readonly command: string;
  readonly exitCode: number;
  readonly stderrTail: string;

  constructor(host: string, command: string, exitCode: number, stderrTail: string) {
    super(
      host,
      `"${command}" on ${host} exited with ${exitCode}` +
        (stderrTail ? `: ${stderrTail}` : ' and printed nothing on stderr'),
    );
    this.command = command;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

export class UnsupportedOsError extends HostError {
  readonly reason = 'UnsupportedOperatingSystem';
  override readonly needsPerson = true;
  readonly found: string;

  constructor(host: string, found: string, supported: readonly string[]) {
    super(host, `${host} runs ${found}, which kubesmith does not support; use one of: ${supported.join(', ')}.`);
    this.found = found;
  }
}

import { Readable, type Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import type { SshCounters } from './counters.ts';
import { endpointLabel, targetLabel, type HostTarget } from './endpoint.ts';
import { ConnectionLostError, HostUnreachableError } from './errors.ts';
import { handshake, type HandshakeOptions } from './handshake.ts';
import type { HostKey } from './host-key.ts';
import { Semaphore } from './semaphore.ts';

export interface ConnectionOptions {
  /** Channels (commands) open at once on this connection; OpenSSH allows 10 by default (MaxSessions). */
  maxChannels: number;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  counters?: SshCounters;
}

export const defaultConnectionOptions: ConnectionOptions = {
  maxChannels: 8,
  readyTimeoutMs: 20_000,
  keepaliveIntervalMs: 10_000,
  keepaliveCountMax: 3,
};

export interface RawExecOptions {
  stdin?: string | Buffer | Readable;
  /** Closes the channel after this long; the caller turns that into a typed error. */
  deadlineMs: number;
}

export interface RawExecResult {
  /** Null when the process ended by a signal or the deadline passed. */
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  deadlinePassed: boolean;
}

/** One authenticated SSH connection to a host, possibly through a bastion, with a bound on open channels. */
export class SshConnection {
  /** `user@address:port`, the key under which counters are kept. */
  readonly host: string;
  /** The host and, when there is one, the bastion it is reached through. */
  readonly label: string;
  readonly hostKey: HostKey;
  readonly bastionHostKey: HostKey | undefined;
  readonly channels: Semaphore;
  readonly #client: Client;
  readonly #bastion: Client | undefined;
  readonly #counters: SshCounters | undefined;
  #closed = false;
  #lastUsed = Date.now();

  private constructor(
    target: HostTarget,
    client: Client,
    hostKey: HostKey,
    bastion: Handshaken | undefined,
    options: ConnectionOptions,
  ) {
    this.host = endpointLabel(target);
    this.label = targetLabel(target);
    this.#client = client;
    this.hostKey = hostKey;
    this.#bastion = bastion?.client;
    this.bastionHostKey = bastion?.hostKey;
    this.channels = new Semaphore(options.maxChannels);
    this.#counters = options.counters;
    const onClose = () => this.close();
    client.on('close', onClose);
    bastion?.client.on('close', onClose);
  }

  static async open(target: HostTarget, options: ConnectionOptions = defaultConnectionOptions): Promise<SshConnection> {
    const hop: HandshakeOptions = {
      readyTimeoutMs: options.readyTimeoutMs,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
    };
    let bastion: Handshaken | undefined;
    if (target.bastion) {
      bastion = await handshake(target.bastion, hop);
      options.counters?.connected(endpointLabel(target.bastion));
    }
    try {
      const sock = bastion ? await forward(bastion.client, target) : undefined;
      const { client, hostKey } = await handshake(target, sock ? { ...hop, sock } : hop);
      options.counters?.connected(endpointLabel(target));
      return new SshConnection(target, client, hostKey, bastion, options);
    } catch (err) {
      bastion?.client.end();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get lastUsed(): number {
    return this.#lastUsed;
  }

  /** Runs a command as the login user, exactly as given, over its own channel. */
  async exec(command: string, options: RawExecOptions): Promise<RawExecResult> {
    return this.channels.run(async () => {
      if (this.#closed) {
        throw new ConnectionLostError(this.label, `the SSH connection to ${this.label} is closed; retry to reconnect`);
      }
      const counted = this.#counters?.command(this.host, command);
      let sent = 0;
      try {
        return await this.#run(command, options, (bytes) => (sent += bytes));
      } finally {
        counted?.(sent);
        this.#lastUsed = Date.now();
      }
    });
  }

  #run(command: string, options: RawExecOptions, sent: (bytes: number) => void): Promise<RawExecResult> {
    return new Promise((resolve, reject) => {
      this.#client.exec(command, (err, channel) => {
        if (err) {
          const message = `could not open a channel to ${this.label}: ${err.message}; retry to reconnect`;
          reject(new ConnectionLostError(this.label, message, { cause: err }));
          return;
        }
        collect(channel, options, this.label, sent).then(resolve, reject);
      });
    });
  }

  /**
   * A TCP stream from the host to `address:port` (SSH's direct-tcpip): how the operator reaches a
   * cluster's API with only port 22 open. Not a session, so it does not count against maxChannels.
   */
  openTunnel(address: string, port: number): Promise<Duplex> {
    if (this.#closed) {
      return Promise.reject(new ConnectionLostError(this.label, `the SSH connection to ${this.label} is closed; retry to reconnect`));
    }
    this.#lastUsed = Date.now();
    return new Promise((resolve, reject) => {
      this.#client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) {
          const message = `${this.label} could not open a connection to ${address}:${port} (${err.message}); check that it listens there`;
          reject(new HostUnreachableError(this.label, message, { cause: err }));
        } else resolve(stream);
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.end();
    this.#bastion?.end();
  }
}

type Handshaken = Awaited<ReturnType<typeof handshake>>;

function forward(bastion: Client, target: HostTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    bastion.forwardOut('127.0.0.1', 0, target.address, target.port ?? 22, (err, stream) => {
      if (err) {
        const via = endpointLabel(target.bastion as NonNullable<HostTarget['bastion']>);
        reject(
          new HostUnreachableError(
            endpointLabel(target),
            `the bastion ${via} could not reach ${target.address}:${target.port ?? 22} (${err.message}); ` +
              'check that the bastion can reach it and allows TCP forwarding',
            { cause: err },
          ),
        );
      } else resolve(stream);
    });
  });
}

function collect(channel: ClientChannel, options: RawExecOptions, label: string, sent: (bytes: number) => void): Promise<RawExecResult> {
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let exitCode: number | null = null;
    let signal: string | undefined;
    let deadlinePassed = false;
    let stdinError: Error | undefined;
    const { stdin } = options;
    const timer = setTimeout(() => {
      deadlinePassed = true;
      // OpenSSH delivers the signal to the remote process; closing the channel ends the wait either way.
      channel.signal('KILL');
      channel.close();
    }, options.deadlineMs);
    channel.on('data', (d: Buffer) => stdout.push(d));
    channel.stderr.on('data', (d: Buffer) => stderr.push(d));
    channel.on('exit', (code: number | null, sig?: string) => {
      exitCode = code;
      if (sig) signal = sig;
    });
    channel.on('close', () => {
      clearTimeout(timer);
      if (stdinError) {
        reject(stdinError);
        return;
      }
      if (exitCode === null && signal === undefined && !deadlinePassed) {
        const message = `the connection to ${label} closed before the command finished; retry to reconnect`;
        reject(new ConnectionLostError(label, message));
        return;
      }
      const result: RawExecResult = {
        exitCode: deadlinePassed ? null : exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        deadlinePassed,
      };
      if (signal) result.signal = signal;
      resolve(result);
    });
    // An error is followed by 'close', which settles the result.
    channel.on('error', () => {});
    if (stdin instanceof Readable) {
      // The command's outcome means nothing when its input was cut short, so the read error is the result.
      stdin.on('error', (error) => {
        stdinError ??= error;
        channel.close();
      });
      stdin.on('data', (chunk: Buffer | string) => sent(Buffer.byteLength(chunk)));
      stdin.pipe(channel);
    } else {
      if (stdin !== undefined) sent(Buffer.byteLength(stdin));
      channel.end(stdin);
    }
  });
}

import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { SshCounters } from './counters.ts';
import { targetLabel, type Endpoint, type HostTarget } from './endpoint.ts';
import { HostUnreachableError } from './errors.ts';
import { parseHostKeyLine, type HostKey } from './host-key.ts';
import { HostSession, type HostObserver } from './host-session.ts';
import { Redactor } from './redact.ts';
import { Semaphore } from './semaphore.ts';
import { defaultConnectionOptions, SshConnection, type ConnectionOptions } from './ssh-connection.ts';

export interface PoolOptions extends Partial<Omit<ConnectionOptions, 'counters'>> {
  /** Hosts worked on at once; the rest wait their turn. */
  maxHosts?: number;
  /** A connection unused this long is closed. */
  idleMs?: number;
  defaultTimeoutMs?: number;
  counters?: SshCounters;
}

export interface WorkOptions {
  observer?: HostObserver;
  /** Values to hide in what the observer and errors report, besides the private keys. */
  secrets?: Iterable<string>;
  /** Stops the work from starting further commands once aborted. */
  signal?: AbortSignal;
  /** Hosts this caller already failed to connect to: they are not tried again. */
  unreachable?: UnreachableHosts;
}

/**
 * The hosts one reconcile could not connect to, by target. Passed to each of its calls, it keeps a
 * switched-off host from costing a connect timeout in every phase: a host in it fails at once with
 * the error it gave, until the caller starts afresh with an empty one.
 */
export type UnreachableHosts = Map<string, HostUnreachableError>;

interface Entry {
  credentials: string;
  connection: Promise<SshConnection>;
}

/**
 * Keeps one SSH connection per host (user, address, port and bastion), reused across units of
 * work, and bounds how many hosts are worked at once. A connection is reused only while the
 * caller's private keys and pinned host keys still match what it was opened with: a rotated key
 * or a newly pinned key that differs from the one seen opens a fresh connection, which verifies it.
 */
export class SshPool {
  readonly counters: SshCounters;
  readonly #hosts: Semaphore;
  readonly #connectionOptions: ConnectionOptions;
  readonly #idleMs: number;
  readonly #defaultTimeoutMs: number | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: PoolOptions = {}) {
    this.counters = options.counters ?? new SshCounters();
    this.#hosts = new Semaphore(options.maxHosts ?? 10);
    this.#connectionOptions = {
      maxChannels: options.maxChannels ?? defaultConnectionOptions.maxChannels,
      readyTimeoutMs: options.readyTimeoutMs ?? defaultConnectionOptions.readyTimeoutMs,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? defaultConnectionOptions.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax ?? defaultConnectionOptions.keepaliveCountMax,
      counters: this.counters,
    };
    this.#idleMs = options.idleMs ?? 120_000;
    this.#defaultTimeoutMs = options.defaultTimeoutMs;
    this.#sweeper = setInterval(() => void this.#closeIdle(), Math.max(1_000, this.#idleMs / 2));
    this.#sweeper.unref();
  }

  /** How many hosts are being worked on now, and the most there ever were at once. */
  get hostsActive(): { now: number; peak: number } {
    return { now: this.#hosts.active, peak: this.#hosts.peak };
  }

  /**
   * Runs `work` with a session on the host once a host slot is free. Do not nest calls: a unit of
   * work waiting for a second host while holding a slot can starve the pool.
   */
  async withHost<T>(target: HostTarget, work: (session: HostSession) => Promise<T>, options: WorkOptions = {}): Promise<T> {
    return this.#hosts.run(async () => {
      const connection = await this.#connection(target, options.unreachable);
      const redactor = new Redactor(options.secrets).add(target.privateKey).add(target.bastion?.privateKey);
      const session = new HostSession(connection, {
        user: target.user,
        redactor,
        ...(options.observer ? { observer: options.observer } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(this.#defaultTimeoutMs ? { defaultTimeoutMs: this.#defaultTimeoutMs } : {}),
      });
      return work(session);
    });
  }

  /**
   * A TCP stream from the host to `address:port`, over the host's pooled connection. Only a failed
   * connection to the host marks it in `unreachable`: one that is reached but has nothing listening
   * at `address:port` is still reachable for other work.
   */
  async openTunnel(target: HostTarget, address: string, port: number, options: Pick<WorkOptions, 'unreachable'> = {}): Promise<Duplex> {
    const connection = await this.#connection(target, options.unreachable);
    return connection.openTunnel(address, port);
  }

  /** Closes every connection. The pool stays usable; later work reconnects. */
  close(): void {
    for (const entry of this.#entries.values()) void entry.connection.then((c) => c.close(), () => {});
    this.#entries.clear();
  }

  /** Closes connections and stops the idle sweeper, for shutdown. */
  dispose(): void {
    clearInterval(this.#sweeper);
    this.close();
  }

  async #connection(target: HostTarget, unreachable: UnreachableHosts | undefined): Promise<SshConnection> {
    const key = targetLabel(target);
    const known = unreachable?.get(key);
    if (known) throw known;
    try {
      return await this.#pooledConnection(target);
    } catch (error) {
      if (error instanceof HostUnreachableError) unreachable?.set(key, error);
      throw error;
    }
  }

  async #pooledConnection(target: HostTarget): Promise<SshConnection> {
    const key = targetLabel(target);
    const credentials = credentialsOf(target);
    const existing = this.#entries.get(key);
    if (existing && existing.credentials === credentials) {
      const connection = await existing.connection.catch(() => undefined);
      if (connection && !connection.closed && pinsMatch(target, connection)) return connection;
      if (connection && !connection.closed) connection.close();
      // Another caller may already have replaced the entry while this one waited.
      if (this.#entries.get(key) !== existing) return this.#pooledConnection(target);
    } else if (existing) {
      void existing.connection.then((c) => c.close(), () => {});
    }
    const connection = SshConnection.open(target, this.#connectionOptions);
    const entry = { credentials, connection };
    this.#entries.set(key, entry);
    connection.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return connection;
  }

  async #closeIdle(): Promise<void> {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      const connection = await entry.connection.catch(() => undefined);
      if (!connection) continue;
      const idle = connection.channels.active === 0 && now - connection.lastUsed > this.#idleMs;
      if (connection.closed || idle) {
        connection.close();
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      }
    }
  }
}

function digest(e: Endpoint | undefined): string {
  if (!e) return '';
  return createHash('sha256').update(e.privateKey).digest('hex');
}

function credentialsOf(t: HostTarget): string {
  return `${digest(t)}/${digest(t.bastion)}`;
}

function samePin(pinned: string | undefined, seen: HostKey | undefined): boolean {
  return pinned === undefined || (seen !== undefined && parseHostKeyLine(pinned).blob.equals(seen.blob));
}

function pinsMatch(t: HostTarget, c: SshConnection): boolean {
  return samePin(t.hostKey, c.hostKey) && samePin(t.bastion?.hostKey, c.bastionHostKey);
}

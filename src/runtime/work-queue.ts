// A work queue with client-go's guarantees: a key is never processed by two workers at once; a key
// added while it is processed runs once more afterwards; adds of a waiting key collapse into one.
// Failures back off per key, exponentially, until forget() resets the key.

export interface QueueObserver {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Time from being queued to being handed to a worker. */
  waited(seconds: number): void;
}

export interface RateLimit {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { baseMs: 5, capMs: 5 * 60_000 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly queuedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly rateLimit: RateLimit;
  private readonly observer?: QueueObserver;

  constructor(rateLimit: RateLimit = DEFAULT_RATE_LIMIT, observer?: QueueObserver) {
    this.rateLimit = rateLimit;
    this.observer = observer;
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer?.added();
    this.dirty.add(key);
    if (!this.queuedAt.has(key)) this.queuedAt.set(key, performance.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  private push(key: string) {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.observer?.depth(this.queue.length);
  }

  private take(key: string) {
    this.dirty.delete(key);
    this.processing.add(key);
    const at = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    if (at !== undefined) this.observer?.waited((performance.now() - at) / 1000);
  }

  /** Adds the key after `ms`; an earlier pending delayed add wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Adds the key after its next backoff delay: base * 2^failures, capped. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.rateLimit.capMs, this.rateLimit.baseMs * 2 ** n);
    this.observer?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the key's backoff after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once the queue is shut down. Call done(key) when finished. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.observer?.depth(this.queue.length);
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}

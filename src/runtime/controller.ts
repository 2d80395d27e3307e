// A controller: a primary informer, optional watches on related objects mapped to primary keys,
// a work queue and a bounded number of workers calling reconcile(key).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Source } from './informer.ts';
import type { Metrics } from './metrics.ts';
import { objectKey } from './resources.ts';
import { WorkQueue, type RateLimit } from './work-queue.ts';

export interface Result {
  /** Reconcile this key again after this long, even if nothing changes. */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  log: Logger;
  /** Aborted when the process shuts down or loses leadership. */
  signal: AbortSignal;
}

export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<Result | void>;

export interface Watch<T extends KubernetesObject = KubernetesObject> {
  informer: Source<T>;
  /** Keys of primary objects affected by a change to `object`. */
  map(object: T): string[];
}

export interface ControllerOptions {
  name: string;
  primary: Source;
  reconcile: Reconciler;
  watches?: Watch[];
  concurrency?: number;
  rateLimit?: RateLimit;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Whether an update touches what a reconcile acts on: spec (through generation), labels,
 * annotations, finalizers or deletion. A controller's own status write changes none of these, so
 * it does not trigger another reconcile.
 */
export function changedBeyondStatus(old: KubernetesObject, object: KubernetesObject): boolean {
  const a = old.metadata ?? {};
  const b = object.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !sameJson(a.labels, b.labels) ||
    !sameJson(a.annotations, b.annotations) ||
    !sameJson(a.finalizers, b.finalizers)
  );
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly inFlight = new Set<Promise<void>>();
  private workers: Promise<void>[] = [];

  constructor(options: ControllerOptions, log: Logger, metrics: Metrics) {
    this.options = options;
    this.name = options.name;
    this.log = log.child({ controller: options.name });
    this.metrics = metrics;
    this.queue = new WorkQueue(options.rateLimit, metrics.queueObserver(options.name));
    options.primary.on((event, object, old) => {
      if (event === 'update' && old && !changedBeyondStatus(old, object)) return;
      this.queue.add(objectKey(object));
    });
    for (const watch of options.watches ?? []) {
      watch.informer.on((_event, object, old) => {
        const keys = new Set(watch.map(object));
        if (old) for (const key of watch.map(old)) keys.add(key);
        for (const key of keys) this.queue.add(key);
      });
    }
  }

  /** Starts the workers; they run until stop(). Informers must have been started by the caller. */
  async start(signal: AbortSignal): Promise<void> {
    await this.options.primary.hasSynced();
    for (const watch of this.options.watches ?? []) await watch.informer.hasSynced();
    const n = this.options.concurrency ?? 2;
    this.workers = Array.from({ length: n }, () => this.work(signal));
    this.log.info({ workers: n }, 'controller started');
  }

  private async work(signal: AbortSignal) {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const run = this.process(key, signal);
      this.inFlight.add(run);
      await run;
      this.inFlight.delete(run);
    }
  }

  private async process(key: string, signal: AbortSignal) {
    const log = this.log.child({ object: key });
    const started = performance.now();
    this.metrics.activeWorkers.inc({ controller: this.name });
    try {
      const result = (await this.options.reconcile(key, { log, signal })) ?? {};
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ controller: this.name, result: 'requeue_after' });
      } else {
        this.metrics.reconcileTotal.inc({ controller: this.name, result: 'success' });
      }
    } catch (error) {
      const delay = this.queue.addRateLimited(key);
      this.metrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
      this.metrics.reconcileErrors.inc({ controller: this.name });
      log.error({ err: error, retryInMs: delay }, 'reconcile failed');
    } finally {
      this.metrics.activeWorkers.dec({ controller: this.name });
      this.metrics.reconcileTime.observe({ controller: this.name }, (performance.now() - started) / 1000);
      this.queue.done(key);
    }
  }

  /** Stops taking work and waits for reconciles in flight, up to `graceMs`. */
  async stop(graceMs: number): Promise<boolean> {
    this.queue.shutDown();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
    const finished = await Promise.race([Promise.all(this.workers).then(() => true as const), timeout]);
    clearTimeout(timer);
    return finished;
  }
}

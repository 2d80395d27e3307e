// A shared informer: list, then watch from the list's resourceVersion, keeping a cache that
// controllers read. Unlike client-node's informer it never stops on an error: a 410 Gone relists
// (emitting only the differences), anything else reconnects with jittered exponential backoff.
// The cache holds objects without their managedFields, which no controller reads (as Cluster API's
// caches do), and, with a label selector, only the objects that match it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { jitteredBackoff, sleep } from './backoff.ts';
import { isGone, type KubeClient } from './kube-client.ts';
import { objectKey, resourcePath, type Resource } from './resources.ts';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';
export type InformerHandler<T> = (event: InformerEvent, object: T, old?: T) => void;

/** What a controller needs of an informer. Methods, so a Source of a kind is a Source of objects. */
export interface Source<T extends KubernetesObject = KubernetesObject> {
  on(handler: InformerHandler<T>): void;
  hasSynced(): Promise<void>;
}

export interface InformerOptions {
  /** Re-deliver every cached object this often, so a missed change heals itself. */
  resyncMs?: number;
  /** Ask the server to end each watch after this long; it is then resumed from the last version. */
  watchTimeoutSeconds?: number;
  namespace?: string;
  /**
   * List and watch only the objects that match this label selector (`key`, `key=value`, ...). An
   * object that stops matching leaves the cache with a delete event; one that starts, enters it with
   * an add.
   */
  labelSelector?: string;
}

export class Informer<T extends KubernetesObject = KubernetesObject> implements Source<T> {
  readonly resource: Resource;
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly options: Required<Omit<InformerOptions, 'namespace' | 'labelSelector'>> & Pick<InformerOptions, 'namespace' | 'labelSelector'>;
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private abort = new AbortController();
  private synced!: Promise<void>;
  private markSynced!: () => void;
  private running = false;
  /** Counters for tests and metrics: how often the informer listed and (re)started its watch. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0 };

  constructor(client: KubeClient, resource: Resource, log: Logger, options: InformerOptions = {}) {
    this.client = client;
    this.resource = resource;
    this.log = log.child({ informer: resource.plural });
    this.options = { resyncMs: 10 * 60_000, watchTimeoutSeconds: 300, ...options };
    this.resetSynced();
  }

  private resetSynced() {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /** The label selector the cache is limited to, if any. */
  get labelSelector(): string | undefined {
    return this.options.labelSelector;
  }

  /** Limits the cache to objects matching `selector`; only before start. */
  narrow(selector: string): void {
    if (this.running) throw new Error(`the ${this.resource.plural} informer has started; its label selector can no longer change`);
    this.options.labelSelector = selector;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  hasSynced(): Promise<void> {
    return this.synced;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    void this.run(this.abort.signal);
    if (this.options.resyncMs > 0) void this.resyncLoop(this.abort.signal);
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
  }

  private emit(event: InformerEvent, object: T, old?: T) {
    for (const handler of this.handlers) {
      try {
        handler(event, object, old);
      } catch (error) {
        this.log.error({ err: error }, 'informer handler failed');
      }
    }
  }

  private async resyncLoop(signal: AbortSignal) {
    while (!signal.aborted) {
      await sleep(this.options.resyncMs, signal);
      if (signal.aborted) return;
      for (const object of this.cache.values()) this.emit('resync', object);
    }
  }

  private async run(signal: AbortSignal) {
    const path = resourcePath(this.resource, this.options.namespace);
    let failures = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(path);
          needList = false;
        }
        this.stats.watches++;
        await this.client.watch<T>(
          path,
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            labelSelector: this.options.labelSelector,
            timeoutSeconds: this.options.watchTimeoutSeconds,
          },
          (event) => {
            failures = 0;
            this.apply(event.type, event.object);
          },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        if (isGone(error)) {
          // The version we watched from has been compacted away: only a fresh list is complete.
          this.stats.gone++;
          this.log.info('resourceVersion expired; relisting');
          needList = true;
          continue;
        }
        this.stats.errors++;
        const delay = jitteredBackoff(failures++, 200, 30_000);
        this.log.warn({ err: error, retryInMs: Math.round(delay) }, 'list/watch failed; retrying');
        await sleep(delay, signal);
      }
    }
  }

  private apply(type: string, object: T) {
    const version = object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
    if (type === 'BOOKMARK') return;
    slim(object);
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', object);
      return;
    }
    this.cache.set(key, object);
    this.emit(old ? 'update' : 'add', object, old);
  }

  /** Replaces the cache with a fresh list, emitting only what differs from what was cached. */
  private async relist(path: string) {
    this.stats.lists++;
    const { items, resourceVersion } = await this.client.list<T>(path, { labelSelector: this.options.labelSelector });
    const fresh = new Map(items.map((o) => [objectKey(o), slim(o)]));
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    for (const [key, object] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, object);
      if (!old) this.emit('add', object);
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit('update', object, old);
    }
    this.resourceVersion = resourceVersion;
    this.markSynced();
  }
}

/** Drops what no controller reads and every object carries: managedFields is often most of its metadata. */
function slim<T extends KubernetesObject>(object: T): T {
  if (object.metadata?.managedFields) delete object.metadata.managedFields;
  return object;
}

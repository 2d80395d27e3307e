// Wires informers, controllers, leader election, probes and shutdown into one process.
import type { Server } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Controller, type ControllerOptions } from './controller.ts';
import { EventRecorder } from './events.ts';
import { startProbeServer } from './http-server.ts';
import { Informer, type InformerOptions } from './informer.ts';
import { KubeClient } from './kube-client.ts';
import type { KubeAuth } from './kube-config.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import { Metrics } from './metrics.ts';
import type { Resource } from './resources.ts';

export interface ManagerOptions {
  /** A kubeconfig: loadKubeConfig()'s, or client-node's KubeConfig. */
  kubeConfig: KubeAuth;
  log: Logger;
  identity: string;
  /** Watch only this namespace; all namespaces when absent. */
  namespace?: string;
  leaderElection?: Omit<LeaderElectionOptions, 'identity'>;
  /** Port for /healthz, /readyz and /metrics; none when absent. */
  probePort?: number;
  probeHost?: string;
  /** How long shutdown waits for reconciles in flight. */
  shutdownGraceMs?: number;
  /** For every informer; the namespace and a label selector are set per manager and per resource. */
  informerOptions?: Omit<InformerOptions, 'namespace' | 'labelSelector'>;
  metrics?: Metrics;
}

export class Manager {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, Informer>();
  private readonly controllers: Controller[] = [];
  private readonly elector?: LeaderElector;
  private readonly stopping = new AbortController();
  private server?: Server;
  private readonly shutdownHooks: (() => void | Promise<void>)[] = [];
  private leading?: Promise<void>;

  constructor(options: ManagerOptions) {
    this.options = options;
    this.log = options.log;
    this.client = new KubeClient(options.kubeConfig);
    this.metrics = options.metrics ?? new Metrics();
    if (options.leaderElection) {
      this.elector = new LeaderElector(this.client, { ...options.leaderElection, identity: options.identity }, this.log);
    }
  }

  /**
   * The one informer of a resource, shared by every controller that reads it. With a label selector
   * the cache of the resource holds only the objects that match it, for every controller, whichever
   * registered first (as controller-runtime's per-object cache options): ask before start().
   */
  informer<T extends KubernetesObject>(resource: Resource, options: { labelSelector?: string } = {}): Informer<T> {
    const key = `${resource.group}/${resource.plural}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, resource, this.log, {
        ...this.options.informerOptions,
        namespace: this.options.namespace,
        labelSelector: options.labelSelector,
      });
      this.informers.set(key, informer);
    } else if (options.labelSelector !== undefined && informer.labelSelector !== options.labelSelector) {
      if (informer.labelSelector !== undefined) {
        throw new Error(`the ${resource.plural} cache is limited to ${informer.labelSelector} already; it cannot also be ${options.labelSelector}`);
      }
      informer.narrow(options.labelSelector);
    }
    return informer as unknown as Informer<T>;
  }

  events(controller: string): EventRecorder {
    return new EventRecorder(this.client, `kubesmith.io/${controller}`, this.options.identity, this.log);
  }

  /** Runs after the controllers have stopped, to release what they held (connections, say). */
  onShutdown(hook: () => void | Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  addController(options: ControllerOptions): Controller {
    const controller = new Controller(options, this.log, this.metrics);
    this.controllers.push(controller);
    return controller;
  }

  private synced = false;

  /**
   * Starts caches and probes at once, and the controllers once this process leads. `onLost` is
   * called if leadership is lost; the process should then exit, as controller-runtime does.
   */
  async start(onLost: () => void = () => {}): Promise<void> {
    for (const informer of this.informers.values()) informer.start();
    if (this.options.probePort !== undefined) {
      this.server = await startProbeServer({
        port: this.options.probePort,
        host: this.options.probeHost,
        registry: this.metrics.registry,
        ready: () => this.synced,
      });
    }
    void Promise.all([...this.informers.values()].map((i) => i.hasSynced())).then(() => (this.synced = true));
    const stopping = this.stopping.signal;
    if (!this.elector) {
      await this.startControllers(stopping);
      return;
    }
    const leaderName = this.options.leaderElection!.name;
    this.metrics.leader.set({ name: leaderName }, 0);
    this.leading = this.elector.run(stopping, (leading) => {
      this.metrics.leader.set({ name: leaderName }, 1);
      void this.startControllers(leading);
      leading.addEventListener('abort', () => {
        this.metrics.leader.set({ name: leaderName }, 0);
        if (!stopping.aborted) {
          void this.stopControllers().then(onLost);
        }
      });
    });
  }

  private async startControllers(signal: AbortSignal) {
    await Promise.all(this.controllers.map((c) => c.start(signal)));
  }

  private async stopControllers(): Promise<boolean> {
    const grace = this.options.shutdownGraceMs ?? 30_000;
    const results = await Promise.all(this.controllers.map((c) => c.stop(grace)));
    return results.every(Boolean);
  }

  /** Stops taking work, waits for reconciles in flight, releases the lease, stops the caches. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    const clean = await this.stopControllers();
    if (!clean) this.log.warn('reconciles still running at the shutdown deadline');
    for (const hook of this.shutdownHooks) await hook();
    await this.elector?.release();
    await this.leading;
    for (const informer of this.informers.values()) informer.stop();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info('stopped');
  }
}

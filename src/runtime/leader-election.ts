// Leader election on a coordination.k8s.io Lease, following client-go: a lease counts as expired
// when its record has not changed for leaseDuration as observed on this machine's clock (so clock
// skew between replicas does not matter), renewals that fail for renewDeadline give the lease up (by
// a timer: a renewal still hanging then counts as failed), and release() hands it over at once on
// shutdown.
import type { Logger } from 'pino';
import { sleep } from './backoff.ts';
import { isConflict, isNotFound, type KubeClient } from './kube-client.ts';
import { leaseResource, resourcePath } from './resources.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: LeaseSpec;
}

function microTime(date = new Date()): string {
  return date.toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly opts: Required<LeaderElectionOptions>;
  private observed = { key: '', at: 0 };
  private lease?: Lease;
  private leading = false;

  constructor(client: KubeClient, options: LeaderElectionOptions, log: Logger) {
    this.client = client;
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    this.log = log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  private get path() {
    return resourcePath(leaseResource, this.opts.namespace, this.opts.name);
  }

  /** One attempt to acquire or renew; true when this process holds the lease afterwards. */
  private async tryAcquireOrRenew(budgetMs = this.opts.renewDeadlineMs): Promise<boolean> {
    const now = new Date();
    const until = now.getTime() + budgetMs;
    // The GET and the PUT share the budget.
    const timeoutMs = () => Math.max(1, until - Date.now());
    const mine: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.ceil(this.opts.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    let current: Lease;
    try {
      current = await this.client.request<Lease>('GET', this.path, { timeoutMs: timeoutMs() });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.lease = await this.client.request<Lease>('POST', resourcePath(leaseResource, this.opts.namespace), {
        timeoutMs: timeoutMs(),
        body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
        },
      });
      return true;
    }
    const spec = current.spec ?? {};
    const key = `${spec.holderIdentity}|${spec.renewTime}`;
    if (key !== this.observed.key) this.observed = { key, at: Date.now() };
    const heldByOther = spec.holderIdentity && spec.holderIdentity !== this.opts.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (heldByOther && Date.now() - this.observed.at < durationMs) return false;
    const next: LeaseSpec = {
      ...mine,
      acquireTime: heldByOther || !spec.holderIdentity ? microTime(now) : spec.acquireTime,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (spec.holderIdentity === this.opts.identity ? 0 : 1),
    };
    try {
      this.lease = await this.client.request<Lease>('PUT', this.path, {
        timeoutMs: timeoutMs(),
        body: { ...current, spec: next },
      });
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
    return true;
  }

  /**
   * Blocks until this process leads, then calls onStarted with a signal that aborts when leadership
   * is lost (or `signal` aborts). Resolves after leadership ends.
   */
  async run(signal: AbortSignal, onStarted: (leading: AbortSignal) => void): Promise<void> {
    while (!signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (error) {
        this.log.warn({ err: error }, 'could not get the leader lease');
      }
      await sleep(this.opts.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return;
    this.leading = true;
    this.log.info('became leader');
    const leadership = new AbortController();
    const stopOnAbort = () => leadership.abort();
    signal.addEventListener('abort', stopOnAbort, { once: true });
    onStarted(leadership.signal);
    let deadline = Date.now() + this.opts.renewDeadlineMs;
    while (!leadership.signal.aborted) {
      await sleep(Math.min(this.opts.retryPeriodMs, deadline - Date.now()), leadership.signal);
      if (leadership.signal.aborted) break;
      if (Date.now() < deadline && (await this.renewBefore(deadline))) {
        deadline = Date.now() + this.opts.renewDeadlineMs;
        continue;
      }
      if (Date.now() >= deadline) {
        this.log.error('lost the leader lease');
        leadership.abort();
      }
    }
    signal.removeEventListener('abort', stopOnAbort);
    this.leading = false;
  }

  /**
   * One renewal, given up at the deadline whatever its requests are doing: request timeouts count
   * idle time on a socket, so a renewal hanging on an API server that went silent can run well past them.
   */
  private async renewBefore(deadline: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadline - Date.now())));
    const attempt = this.tryAcquireOrRenew(deadline - Date.now()).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not renew the leader lease');
      return false;
    });
    try {
      return await Promise.race([attempt, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Gives the lease up so another replica takes over without waiting for it to expire. */
  async release(): Promise<void> {
    if (!this.lease || this.lease.spec.holderIdentity !== this.opts.identity) return;
    try {
      const current = await this.client.get<Lease>(this.path);
      if (current.spec.holderIdentity !== this.opts.identity) return;
      await this.client.request('PUT', this.path, {
        body: { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() } },
      });
      this.log.info('released the leader lease');
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the leader lease');
    }
  }
}

// Prometheus metrics named like controller-runtime's, so existing dashboards and alerts apply.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueObserver } from './work-queue.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller and result.',
    labelNames: ['controller', 'result'],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller.',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller.',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller.',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  private readonly depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of the work queue.',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by the work queue.',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by the work queue.',
    labelNames: ['name'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long an item stays in the work queue before being requested.',
    labelNames: ['name'],
    buckets: [0.0001, 0.001, 0.01, 0.1, 1, 10, 100],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process currently holds the leader lease (1) or not (0).',
    labelNames: ['name'],
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  queueObserver(name: string): QueueObserver {
    return {
      depth: (n) => this.depth.set({ name }, n),
      added: () => this.adds.inc({ name }),
      retried: () => this.retries.inc({ name }),
      waited: (s) => this.latency.observe({ name }, s),
    };
  }
}

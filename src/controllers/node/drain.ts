// Draining a Node the way `kubectl drain` does: cordon, then evict every pod through the Eviction
// API, so PodDisruptionBudgets are respected. DaemonSet pods and mirror pods stay (they would come
// straight back); pods that already ended are deleted. Nothing is ever force-deleted: a budget that
// keeps blocking ends in a condition that names the pods, for a person to decide.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubesmithError } from '../../errors.ts';
import { MERGE_PATCH, WorkloadApiError, type WorkloadApi } from '../../workload/api.ts';
import { nodePath } from './nodes.ts';

export const DRAIN_STARTED_ANNOTATION = 'kubesmith.io/drain-started';

/** Pods are still on the Node: their budgets block eviction for now, or they are still stopping. */
export class DrainPendingError extends KubesmithError {
  readonly reason: 'Draining' | 'DrainTimedOut';
  override readonly needsPerson: boolean;
  constructor(timedOut: boolean, message: string) {
    super(message);
    this.reason = timedOut ? 'DrainTimedOut' : 'Draining';
    this.needsPerson = timedOut;
  }
}

export interface DrainOptions {
  /** From the cordon on, how long budgets may block before a person is asked. */
  timeoutMs: number;
  /** How long one call keeps trying before it reports the drain as pending. */
  waitMs: number;
  signal: AbortSignal;
  now?: () => number;
}

function evictable(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return false;
  return !pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.controller);
}

const podName = (pod: V1Pod) => `${pod.metadata!.namespace}/${pod.metadata!.name}`;

async function podsOn(api: WorkloadApi, node: string): Promise<V1Pod[]> {
  const list = await api.json<{ items: V1Pod[] }>('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
  return list.items.filter(evictable);
}

/** Marks the Node unschedulable and records when its drain began, once. */
async function cordon(api: WorkloadApi, node: V1Node, now: number): Promise<number> {
  const started = Number(node.metadata?.annotations?.[DRAIN_STARTED_ANNOTATION]);
  if (node.spec?.unschedulable && Number.isFinite(started) && started > 0) return started;
  await api.json('PATCH', nodePath(node.metadata!.name!), { spec: { unschedulable: true }, metadata: { annotations: { [DRAIN_STARTED_ANNOTATION]: String(now) } } }, MERGE_PATCH);
  return now;
}

/** One eviction; a refusal by a budget (429) is a "not yet", anything gone is done. */
async function evict(api: WorkloadApi, pod: V1Pod): Promise<'evicted' | 'blocked'> {
  const { namespace, name } = pod.metadata!;
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name!)}`;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    await api.delete(base);
    return 'evicted';
  }
  try {
    await api.json('POST', `${base}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } });
    return 'evicted';
  } catch (error) {
    if (error instanceof WorkloadApiError && error.status === 404) return 'evicted';
    if (error instanceof WorkloadApiError && error.status === 429) return 'blocked';
    throw error;
  }
}

/** Cordons and drains the Node; returns when no evictable pod is left, else throws DrainPendingError. */
export async function drainNode(api: WorkloadApi, node: V1Node, options: DrainOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const name = node.metadata!.name!;
  const started = await cordon(api, node, now());
  const until = now() + options.waitMs;
  for (;;) {
    const pods = await podsOn(api, name);
    if (pods.length === 0) return;
    const blocked: V1Pod[] = [];
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      if ((await evict(api, pod)) === 'blocked') blocked.push(pod);
    }
    const timedOut = now() - started > options.timeoutMs;
    if (timedOut || now() > until || options.signal.aborted) {
      const left = pods.map(podName).join(', ');
      const why = blocked.length > 0 ? `; a PodDisruptionBudget blocks evicting ${blocked.map(podName).join(', ')}` : '; they are stopping';
      throw new DrainPendingError(
        timedOut,
        timedOut
          ? `draining ${name} has not finished after ${Math.round(options.timeoutMs / 1000)} s: ${left} still there${why}. ` +
              'kubesmith never force-deletes pods: relax the budget or move the pods, and the drain goes on'
          : `draining ${name}: ${left} still there${why}`,
      );
    }
    await sleep(1_000, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

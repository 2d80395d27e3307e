// The controller of a kind whose steps are not built yet: it acknowledges each object by setting
// observedGeneration and every condition it will own to Unknown, with a reason saying so, so that
// `kubectl get` shows an honest state rather than nothing. The `Ready` roll-up is Unknown
// (NotImplemented) and Reconciling/Stalled are derived from it as for every kind, so a GitOps tool
// (kstatus rules) reads the object as in progress, never as healthy.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition } from '../api/common.ts';
import { setCondition, summarize, type ConditionInput } from '../runtime/conditions.ts';
import { kstatusConditions } from '../runtime/kstatus.ts';
import type { Manager } from '../runtime/manager.ts';
import type { Resource } from '../runtime/resources.ts';
import { applyStatus } from '../runtime/status.ts';

type WithConditions = KubernetesObject & { status?: { conditions?: Condition[] } };

/**
 * Every condition of a kind not implemented yet: each step Unknown (NotImplemented), the `Ready`
 * roll-up of the steps, then Reconciling (True: not done, nothing needs a person) and Stalled (False).
 * `Ready`, `Reconciling` and `Stalled` in `conditionTypes` are ignored: they are always derived.
 */
export function notImplementedConditions(conditionTypes: readonly string[]): ConditionInput[] {
  const derived = new Set(['Ready', 'Reconciling', 'Stalled']);
  const steps = conditionTypes
    .filter((type) => !derived.has(type))
    .map((type): ConditionInput => ({ type, status: 'Unknown', reason: 'NotImplemented', message: `kubesmith does not implement the ${type} step yet` }));
  const ready = steps.length
    ? summarize(steps, 'Ready', steps.map((s) => s.type), 'Ready', 'every step done')
    : { type: 'Ready', status: 'Unknown' as const, reason: 'NotImplemented', message: 'kubesmith does not implement this kind yet' };
  return [...steps, ready, ...kstatusConditions(ready)];
}

export function addNotImplementedController(
  manager: Manager,
  resource: Resource,
  conditionTypes: readonly string[],
): void {
  const informer = manager.informer<WithConditions>(resource);
  const name = resource.kind.toLowerCase();
  const inputs = notImplementedConditions(conditionTypes);
  const owned = inputs.map((c) => c.type);
  manager.addController({
    name,
    primary: informer,
    reconcile: async (key, { log }) => {
      const object = informer.get(key);
      if (!object || object.metadata?.deletionTimestamp) return;
      const generation = object.metadata?.generation;
      let conditions = object.status?.conditions;
      for (const input of inputs) conditions = setCondition(conditions, input, generation);
      const status = { observedGeneration: generation, conditions: (conditions ?? []).filter((c) => owned.includes(c.type)) };
      await applyStatus(manager.client, resource, object, status, `kubesmith-${name}`);
      log.debug('status set');
    },
  });
}

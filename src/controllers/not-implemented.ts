// The controller of a kind whose steps are not built yet: it acknowledges each object by setting
// observedGeneration and every condition it will own to Unknown, with a reason saying so, so that
// `kubectl get` shows an honest state rather than nothing.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition } from '../api/common.ts';
import { setCondition } from '../runtime/conditions.ts';
import type { Manager } from '../runtime/manager.ts';
import type { Resource } from '../runtime/resources.ts';
import { applyStatus } from '../runtime/status.ts';

type WithConditions = KubernetesObject & { status?: { conditions?: Condition[] } };

export function addNotImplementedController(
  manager: Manager,
  resource: Resource,
  conditionTypes: readonly string[],
): void {
  const informer = manager.informer<WithConditions>(resource);
  const name = resource.kind.toLowerCase();
  manager.addController({
    name,
    primary: informer,
    reconcile: async (key, { log }) => {
      const object = informer.get(key);
      if (!object || object.metadata?.deletionTimestamp) return;
      const generation = object.metadata?.generation;
      let conditions = object.status?.conditions;
      for (const type of conditionTypes) {
        conditions = setCondition(
          conditions,
          { type, status: 'Unknown', reason: 'NotImplemented', message: `kubesmith does not implement the ${type} step yet` },
          generation,
        );
      }
      const owned = (conditions ?? []).filter((c) => conditionTypes.includes(c.type));
      await applyStatus(manager.client, resource, object, { observedGeneration: generation, conditions: owned }, `kubesmith-${name}`);
      log.debug('status set');
    },
  });
}

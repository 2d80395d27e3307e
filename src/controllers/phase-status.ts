// The end of every phase-list reconcile: conditions from the report plus Ready, Reconciling and
// Stalled, written once as server-side apply; observedGeneration stays behind when a bug stopped
// the phases; the requeue follows from what the phases asked and whether the object is Ready.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition } from '../api/common.ts';
import { errorMessage } from '../errors.ts';
import { setCondition, type ConditionInput } from '../runtime/conditions.ts';
import type { Result } from '../runtime/controller.ts';
import { kstatusConditions } from '../runtime/kstatus.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import type { Resource } from '../runtime/resources.ts';
import { applyStatus } from '../runtime/status.ts';
import { nextReconcileMs, readyCondition, type PhaseReport, type RequeueTiming } from './phases.ts';

type WithStatus = KubernetesObject & { status?: { conditions?: Condition[]; observedGeneration?: number } };

export interface PhaseStatusInput<T extends WithStatus> {
  client: KubeClient;
  resource: Resource;
  object: T;
  report: PhaseReport;
  /** Status fields the phases filled, beside the conditions. */
  fields: object;
  owned: readonly string[];
  fieldManager: string;
  readyMessage: string;
  paused: boolean;
  timing: RequeueTiming;
}

export async function finishReconcile<T extends WithStatus>(input: PhaseStatusInput<T>): Promise<Result> {
  const { object, report } = input;
  const ready = readyCondition(report, 'Ready', input.readyMessage);
  const inputs: ConditionInput[] = [...report.conditions, ready, ...kstatusConditions(ready, report.stalledBy)];
  const generation = object.metadata?.generation;
  let conditions = object.status?.conditions;
  for (const c of inputs) conditions = setCondition(conditions, c, generation);
  const status = {
    ...input.fields,
    observedGeneration: report.unexpected ? object.status?.observedGeneration : generation,
    conditions: (conditions ?? []).filter((c) => input.owned.includes(c.type)),
  };
  try {
    await applyStatus(input.client, input.resource, object, JSON.parse(JSON.stringify(status)), input.fieldManager);
  } catch (error) {
    throw report.unexpected ? new AggregateError([report.unexpected, error], `reconcile failed and so did its status write: ${errorMessage(error)}`) : error;
  }
  if (report.unexpected) throw report.unexpected;
  if (input.paused) return {};
  return { requeueAfterMs: nextReconcileMs(report, ready, input.timing) };
}

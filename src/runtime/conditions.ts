// metav1.Condition semantics: lastTransitionTime moves only when the status changes, and a summary
// condition is derived from the others.
import type { Condition } from '../api/common.ts';

export type ConditionStatus = Condition['status'];

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Returns the list with `input` set; the previous transition time is kept when the status is unchanged. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  observedGeneration: number | undefined,
  now: Date = new Date(),
): Condition[] {
  const previous = findCondition(conditions, input.type);
  const next: Condition = {
    ...input,
    observedGeneration,
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : rfc3339(now),
  };
  const rest = (conditions ?? []).filter((c) => c.type !== input.type);
  return [...rest, next];
}

/**
 * A roll-up of `types` in order: the first False decides, else the first Unknown, else True. The
 * message names the condition it comes from, so a person sees where to look.
 */
export function summarize(
  conditions: readonly ConditionInput[],
  type: string,
  types: readonly string[],
  trueReason: string,
  trueMessage: string,
): ConditionInput {
  const ordered = types.map(
    (t): ConditionInput =>
      conditions.find((c) => c.type === t) ?? { type: t, status: 'Unknown', reason: 'NotReported', message: 'not reported yet' },
  );
  for (const status of ['False', 'Unknown'] as const) {
    const hit = ordered.find((c) => c.status === status);
    if (hit) return { type, status, reason: hit.reason, message: `${hit.type}: ${hit.message}` };
  }
  return { type, status: 'True', reason: trueReason, message: trueMessage };
}

// The two conditions GitOps tools read besides Ready (kstatus rules of sigs.k8s.io/cli-utils, used by
// Flux and Argo CD): `Reconciling` True means "in progress", `Stalled` True means "failed, a person
// must act". Both are derived from the Ready roll-up, so they can never disagree with it.
import type { ConditionInput } from './conditions.ts';

export interface StalledBy {
  reason: string;
  message: string;
}

/**
 * Reconciling is True while the object is not Ready and nothing needs a person (waiting for hosts
 * is progress, not failure); Stalled is True only for what a person has to fix.
 */
export function kstatusConditions(ready: ConditionInput, stalledBy?: StalledBy): [ConditionInput, ConditionInput] {
  const stalled: ConditionInput = stalledBy
    ? { type: 'Stalled', status: 'True', reason: stalledBy.reason, message: stalledBy.message }
    : { type: 'Stalled', status: 'False', reason: 'NothingNeedsAPerson', message: 'no error that needs a person' };
  const converging = ready.status !== 'True' && !stalledBy;
  const reconciling: ConditionInput = converging
    ? { type: 'Reconciling', status: 'True', reason: ready.reason, message: ready.message }
    : { type: 'Reconciling', status: 'False', reason: stalledBy ? 'Stalled' : 'Converged', message: stalledBy ? 'stopped until a person acts' : 'nothing left to do' };
  return [reconciling, stalled];
}

export const KSTATUS_CONDITIONS = ['Ready', 'Reconciling', 'Stalled'] as const;

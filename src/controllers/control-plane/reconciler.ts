// The ControlPlane reconcile: the phase list run in order, every condition set from the first run,
// status written once at the end whatever happened. Hosts that leave (scale-down or deletion) have
// the phases torn down on them in reverse order before they are given back.
import type { ControlPlane, ControlPlaneStatus } from '../../api/index.ts';
import { hostWork, recordEvents } from '../host-work.ts';
import { HostError } from '../../host/index.ts';
import { setCondition, type ConditionInput } from '../../runtime/conditions.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import { kstatusConditions } from '../../runtime/kstatus.ts';
import { applyStatus } from '../../runtime/status.ts';
import { errorMessage } from '../../errors.ts';
import { initialConditions, nextReconcileMs, readyCondition, runPhases, teardownPhases, type PhaseReport } from '../phases.ts';
import { settleAll } from '../settle.ts';
import { controlPlaneResource } from '../resources.ts';
import { ownsHost } from './claim.ts';
import { heldMember, type Member } from './members.ts';
import { CONTROL_PLANE_PHASES } from './phases.ts';
import type { ControlPlaneDeps, ControlPlaneScope } from './scope.ts';

export const FINALIZER = 'kubesmith.io/controlplane';
export const FIELD_MANAGER = 'kubesmith-controlplane';
const PHASES = CONTROL_PLANE_PHASES;
export const OWNED: readonly string[] = [...PHASES.map((p) => p.condition), 'Ready', 'Reconciling', 'Stalled'];

/** Errors that mean the host could not be reached, after which its teardown is left pending. */
const UNREACHABLE = new Set(['HostUnreachable', 'ConnectionLost', 'CommandTimedOut']);

function newScope(deps: ControlPlaneDeps, cp: ControlPlane, ctx: ReconcileContext): ControlPlaneScope {
  // Every status field a phase fills starts as it was, so a phase that does not run keeps its own.
  const { conditions: _conditions, observedGeneration: _observed, ...previous } = cp.status ?? {};
  const scope: ControlPlaneScope = {
    deps,
    cp,
    log: ctx.log,
    signal: ctx.signal,
    ...hostWork(deps, ctx.signal),
    status: previous,
    members: [],
    surplus: [],
    retiring: [],
    endpoint: { host: '', port: 0 },
  };
  return scope;
}

/**
 * Takes down, in reverse phase order, what the cluster put on one host, then gives the host back.
 * A host that cannot be reached is still given back (the rest of the cluster must not wait on a
 * dead machine), with a CleanupPending condition saying what was left on it.
 */
async function retireHost(scope: ControlPlaneScope, member: Member): Promise<void> {
  const own: ControlPlaneScope = { ...scope, members: [member], cleanupPending: undefined };
  await teardownPhases(PHASES, own, {
    signal: scope.signal,
    log: scope.log.child({ host: member.name }),
    goOn: (condition, error) => {
      if (!(error instanceof HostError && UNREACHABLE.has(error.reason))) return false;
      own.cleanupPending ??= `${scope.cp.metadata.name} could not take back what it installed (${condition}): ${error.message}; ` +
        'clean the host before another cluster uses it';
      return true;
    },
  });
  const how = own.cleanupPending ? 'gave back, cleanup pending' : 'took down what it ran and gave back';
  scope.notices.push({ type: own.cleanupPending ? 'Warning' : 'Normal', reason: 'HostReleased', message: `${how} ${member.name}` });
}

/** Every host the ControlPlane holds, as members where their facts allow; the others are only given back. */
function heldMembers(scope: ControlPlaneScope): Member[] {
  const held = scope.deps.hosts.list().filter((h) => h.metadata.namespace === scope.cp.metadata.namespace && ownsHost(scope.cp, h));
  return held.map(heldMember);
}

async function reconcileDelete(scope: ControlPlaneScope): Promise<Result | void> {
  const { cp, deps } = scope;
  if (!hasFinalizer(cp, FINALIZER)) return;
  await settleAll(heldMembers(scope).map((member) => retireHost(scope, member)));
  await recordEvents(scope.deps.events, scope.cp, controlPlaneResource, scope);
  await removeFinalizer(deps.client, controlPlaneResource, cp, FINALIZER);
}

function pausedReport(): PhaseReport {
  const [first, ...rest] = initialConditions(PHASES);
  const paused: ConditionInput = { ...first!, status: 'Unknown', reason: 'Paused', message: 'spec.paused is true; kubesmith leaves this cluster alone' };
  return { conditions: [paused, ...rest] };
}

/**
 * Every owned condition from a report, the roll-ups included. A partial report (see publish) is
 * completed with the stored conditions of the phases it has not run yet, so Ready never contradicts
 * the conditions written beside it.
 */
function conditionsFrom(cp: ControlPlane, report: PhaseReport): ControlPlaneStatus['conditions'] {
  const ran = new Set(report.conditions.map((c) => c.type));
  const stored = cp.status?.conditions ?? [];
  const rest = initialConditions(PHASES)
    .filter((c) => !ran.has(c.type))
    .map((initial) => stored.find((c) => c.type === initial.type) ?? initial)
    .map(({ type, status, reason, message }): ConditionInput => ({ type, status: status as ConditionInput['status'], reason, message }));
  const full: PhaseReport = { ...report, conditions: [...report.conditions, ...rest] };
  const ready = readyCondition(full, 'Ready', 'the control plane is as the spec says');
  let conditions = cp.status?.conditions;
  for (const input of [...full.conditions, ready, ...kstatusConditions(ready, report.stalledBy)]) conditions = setCondition(conditions, input, cp.metadata.generation);
  return (conditions ?? []).filter((c) => OWNED.includes(c.type));
}

/**
 * Writes the status so far, when a condition in it differs from what is stored; observedGeneration
 * waits for the end. The Events of the work so far go first, so that whoever sees the status finds
 * what led to it, as after a whole reconcile.
 */
async function publish(scope: ControlPlaneScope, partial: PhaseReport): Promise<void> {
  const { cp, deps } = scope;
  const conditions = conditionsFrom(cp, partial);
  const stored = cp.status?.conditions ?? [];
  const same = (conditions ?? []).every((c) => stored.some((o) => o.type === c.type && o.status === c.status && o.reason === c.reason && o.message === c.message));
  if (same) return;
  await recordEvents(deps.events, cp, controlPlaneResource, scope);
  scope.changes.length = 0;
  scope.notices.length = 0;
  const status: ControlPlaneStatus = { ...scope.status, observedGeneration: cp.status?.observedGeneration, conditions };
  await applyStatus(deps.client, controlPlaneResource, cp, JSON.parse(JSON.stringify(status)), FIELD_MANAGER);
}

export async function reconcileControlPlane(deps: ControlPlaneDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  let cp = deps.controlPlanes.get(key);
  if (!cp) return;
  if (cp.metadata.deletionTimestamp) return reconcileDelete(newScope(deps, cp, ctx));
  if (!hasFinalizer(cp, FINALIZER)) cp = await addFinalizer(deps.client, controlPlaneResource, cp, FINALIZER);
  const scope = newScope(deps, cp, ctx);
  const report = cp.spec.paused ? pausedReport() : await runPhases(PHASES, scope, { signal: ctx.signal, log: ctx.log, publish: (partial) => publish(scope, partial) });
  let retireFailure: unknown;
  // Surplus hosts are out of etcd by now: what else runs there goes, and the hosts go back.
  await settleAll(scope.retiring.map((member) => retireHost(scope, member))).catch((error: unknown) => (retireFailure = error));
  await recordEvents(scope.deps.events, scope.cp, controlPlaneResource, scope);
  const unexpected = report.unexpected ?? retireFailure;
  const ready = readyCondition(report, 'Ready', 'the control plane is as the spec says');
  const status: ControlPlaneStatus = {
    ...scope.status,
    observedGeneration: unexpected ? cp.status?.observedGeneration : cp.metadata.generation,
    conditions: conditionsFrom(cp, report),
  };
  try {
    await applyStatus(deps.client, controlPlaneResource, cp, JSON.parse(JSON.stringify(status)), FIELD_MANAGER);
  } catch (error) {
    // Both failures matter: the reconcile's own, and that its status could not be written.
    throw unexpected ? new AggregateError([unexpected, error], `reconcile failed and so did its status write: ${errorMessage(error)}`) : error;
  }
  ctx.log.debug({ ready: ready.status }, 'status set');
  if (unexpected) throw unexpected;
  if (cp.spec.paused) return {};
  return { requeueAfterMs: nextReconcileMs(report, ready, deps) };
}

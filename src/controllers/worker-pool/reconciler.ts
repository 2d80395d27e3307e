// The WorkerPool reconcile: the phase list, status written once at the end. On deletion every host
// is drained and given back (without a drain when the cluster itself is gone).
import type { WorkerPool } from '../../api/index.ts';
import { hostWork, recordEvents } from '../host-work.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import { clusterContext, ControlPlaneNotAvailableError, type ClusterContext } from '../cluster-context.ts';
import { heldMember } from '../control-plane/members.ts';
import { holds } from '../host-claims.ts';
import { finishReconcile } from '../phase-status.ts';
import { initialConditions, runPhases, type PhaseReport } from '../phases.ts';
import { workerPoolResource } from '../resources.ts';
import { settleAll } from '../settle.ts';
import { poolConsumer } from './claim-phase.ts';
import { WORKER_POOL_PHASES as PHASES } from './phases.ts';
import { retireWorker } from './retire.ts';
import type { WorkerPoolDeps, WorkerPoolScope } from './scope.ts';

export const FINALIZER = 'kubesmith.io/workerpool';
export const FIELD_MANAGER = 'kubesmith-workerpool';
export const OWNED: readonly string[] = [...PHASES.map((p) => p.condition), 'Ready', 'Reconciling', 'Stalled'];

function newScope(deps: WorkerPoolDeps, wp: WorkerPool, ctx: ReconcileContext): WorkerPoolScope {
  const { conditions: _conditions, observedGeneration: _observed, ...previous } = wp.status ?? {};
  const scope: WorkerPoolScope = {
    deps,
    wp,
    log: ctx.log,
    signal: ctx.signal,
    ...hostWork(deps, ctx.signal),
    status: previous,
    members: [],
    surplus: [],
  };
  return scope;
}

async function reconcileDelete(scope: WorkerPoolScope): Promise<Result | void> {
  const { wp, deps } = scope;
  if (!hasFinalizer(wp, FINALIZER)) return;
  let cluster: ClusterContext | undefined;
  try {
    cluster = await clusterContext(deps, wp.metadata.namespace!, wp.spec.controlPlaneRef.name, scope);
  } catch (error) {
    // No cluster to drain from: the Nodes went with it; what is on the hosts still goes.
    if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
  }
  const held = deps.hosts.list().filter((h) => h.metadata.namespace === wp.metadata.namespace && holds(poolConsumer(scope), h));
  const members = held.map(heldMember);
  try {
    await settleAll(members.map((m) => retireWorker(scope, m, cluster)));
  } finally {
    await recordEvents(scope.deps.events, scope.wp, workerPoolResource, scope);
  }
  await removeFinalizer(deps.client, workerPoolResource, wp, FINALIZER);
}

function pausedReport(): PhaseReport {
  const [first, ...rest] = initialConditions(PHASES);
  return { conditions: [{ ...first!, status: 'Unknown', reason: 'Paused', message: 'spec.paused is true; kubesmith leaves this pool alone' }, ...rest] };
}

export async function reconcileWorkerPool(deps: WorkerPoolDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  let wp = deps.workerPools.get(key);
  if (!wp) return;
  if (wp.metadata.deletionTimestamp) return reconcileDelete(newScope(deps, wp, ctx));
  if (!hasFinalizer(wp, FINALIZER)) wp = await addFinalizer(deps.client, workerPoolResource, wp, FINALIZER);
  const scope = newScope(deps, wp, ctx);
  const report = wp.spec.paused ? pausedReport() : await runPhases(PHASES, scope, { signal: ctx.signal, log: ctx.log });
  await recordEvents(scope.deps.events, scope.wp, workerPoolResource, scope);
  return finishReconcile({
    client: deps.client,
    resource: workerPoolResource,
    object: wp,
    report,
    fields: scope.status,
    owned: OWNED,
    fieldManager: FIELD_MANAGER,
    readyMessage: 'every Node of the pool is Ready',
    paused: wp.spec.paused,
    timing: deps,
  });
}

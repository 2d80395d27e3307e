// HostsReleased: no host is held beyond spec.replicas. Surplus hosts are drained in parallel; one
// whose drain is held by a PodDisruptionBudget stays, cordoned, and the condition says which pods.
import { DrainPendingError } from '../node/drain.ts';
import type { Phase } from '../phases.ts';
import { settleAll } from '../settle.ts';
import { retireWorker } from './retire.ts';
import type { WorkerPoolScope } from './scope.ts';

export const scaleDownPhase: Phase<WorkerPoolScope> = {
  condition: 'HostsReleased',
  needs: ['ControlPlaneAvailable'],
  does: 'surplus hosts are drained and given back',
  async run(scope) {
    if (scope.surplus.length === 0) return { status: 'True', reason: 'NoSurplus', message: 'no host held beyond spec.replicas' };
    const pending: DrainPendingError[] = [];
    await settleAll(
      scope.surplus.map((member) =>
        retireWorker(scope, member, scope.cluster).catch((error: unknown) => {
          if (!(error instanceof DrainPendingError)) throw error;
          pending.push(error);
        }),
      ),
    );
    if (pending.length === 0) return { status: 'True', reason: 'Released', message: `gave back ${scope.surplus.map((m) => m.name).join(', ')}` };
    const timedOut = pending.find((p) => p.reason === 'DrainTimedOut');
    return {
      status: 'False',
      reason: timedOut ? 'DrainTimedOut' : 'Draining',
      message: pending.map((p) => p.message).join('; '),
      needsPerson: Boolean(timedOut),
      requeueAfterMs: 2_000,
    };
  },
};

// ControlPlaneAvailable: the pool's ControlPlane serves, so Nodes have a cluster to join.
import { clusterContext, ControlPlaneNotAvailableError } from '../cluster-context.ts';
import type { Phase } from '../phases.ts';
import type { WorkerPoolScope } from './scope.ts';

export const clusterPhase: Phase<WorkerPoolScope> = {
  condition: 'ControlPlaneAvailable',
  needs: [],
  does: 'the cluster is reached',
  async run(scope) {
    const { wp, deps } = scope;
    try {
      scope.cluster = await clusterContext(deps, wp.metadata.namespace!, wp.spec.controlPlaneRef.name, scope.signal);
    } catch (error) {
      if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
      return { status: 'False', reason: 'WaitingForControlPlane', message: error.message };
    }
    return { status: 'True', reason: 'Available', message: `ControlPlane ${wp.spec.controlPlaneRef.name} serves at ${scope.cluster.cp.status!.endpoint}` };
  },
};

// ControlPlaneAvailable: the pool's ControlPlane serves, so Nodes have a cluster to join. While it
// comes up, the pool's hosts are sent their node binaries (the bulk of a node's install, and all of
// it that needs no cluster), so that joining is left for when it serves.
import { pushArtifact } from '../../artifacts/index.ts';
import { clusterContext, ControlPlaneNotAvailableError } from '../cluster-context.ts';
import type { Member } from '../control-plane/members.ts';
import { nodeArtifacts } from '../node/artifacts.ts';
import type { Phase } from '../phases.ts';
import { settleAll } from '../settle.ts';
import type { WorkerPoolScope } from './scope.ts';

/** By pool and host: a host another pool gave back (its binaries removed with its node) is staged anew. */
const stagedKey = (scope: WorkerPoolScope, m: Member) => `${scope.wp.metadata.uid}/${m.host.metadata.uid}`;

/**
 * Pushes the node binaries to every member; returns the names of those that have them. A failure
 * (a mirror down, a checksum that does not match) is not this phase's to report: NodesInstalled
 * meets it again and says what to fix.
 */
async function stageBinaries(scope: WorkerPoolScope): Promise<string[]> {
  const { wp, members, deps } = scope;
  const cp = deps.controlPlanes.get(`${wp.metadata.namespace}/${wp.spec.controlPlaneRef.name}`);
  if (!cp || members.length === 0) return [];
  try {
    const artifacts = await nodeArtifacts(deps.artifacts, cp, wp.spec.version ?? cp.spec.version, members.map((m) => m.arch));
    const digest = (m: Member) => artifacts.get(m.arch)!.map((a) => a.sha256).join(' ');
    await settleAll(
      members
        .filter((m) => deps.staged.get(stagedKey(scope, m)) !== digest(m))
        .map((m) =>
          scope.onHost(m, async (session) => {
            for (const artifact of artifacts.get(m.arch)!) await pushArtifact(session, artifact);
            deps.staged.set(stagedKey(scope, m), digest(m));
          }),
        ),
    );
    return members.map((m) => m.name);
  } catch (error) {
    scope.log.debug({ err: error }, 'node binaries not staged; NodesInstalled will try again');
    return [];
  }
}

export const clusterPhase: Phase<WorkerPoolScope> = {
  condition: 'ControlPlaneAvailable',
  needs: [],
  does: 'the cluster is reached',
  async run(scope) {
    const { wp, deps } = scope;
    try {
      scope.cluster = await clusterContext(deps, wp.metadata.namespace!, wp.spec.controlPlaneRef.name, scope);
    } catch (error) {
      if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
      const staged = await stageBinaries(scope);
      const meanwhile = staged.length > 0 ? `; node binaries are on ${staged.join(', ')}` : '';
      return { status: 'False', reason: 'WaitingForControlPlane', message: `${error.message}${meanwhile}` };
    }
    // From here on NodesInstalled keeps the binaries; the memo is only for the wait.
    for (const m of scope.members) deps.staged.delete(stagedKey(scope, m));
    return { status: 'True', reason: 'Available', message: `ControlPlane ${wp.spec.controlPlaneRef.name} serves at ${scope.cluster.cp.status!.endpoint}` };
  },
};

// Taking a host out of the pool: its Node cordoned and drained through the Eviction API, the Node
// deleted, what was installed removed, and the host given back. A drain that budgets hold stops
// here and keeps the host; a host that cannot be reached is given back with CleanupPending.
import type { V1Node } from '@kubernetes/client-node';
import { HostError } from '../../host/index.ts';
import type { ClusterContext } from '../cluster-context.ts';
import type { Member } from '../control-plane/members.ts';
import { releaseFrom } from '../host-claims.ts';
import { drainNode } from '../node/drain.ts';
import { removeNode } from '../node/install.ts';
import { nodePath } from '../node/nodes.ts';
import { poolConsumer } from './claim-phase.ts';
import type { WorkerPoolScope } from './scope.ts';

/** Errors that mean the host could not be reached, after which its cleanup is left pending. */
const UNREACHABLE = new Set(['HostUnreachable', 'ConnectionLost', 'CommandTimedOut']);
/** How long one reconcile waits on a drain before it reports progress and comes back. */
const DRAIN_WAIT_MS = 30_000;

export async function retireWorker(scope: WorkerPoolScope, member: Member, cluster: ClusterContext | undefined): Promise<void> {
  const { deps } = scope;
  if (cluster) {
    const node = await cluster.api.get<V1Node>(nodePath(member.hostname));
    if (node) {
      await drainNode(cluster.api, node, { timeoutMs: deps.drainTimeoutMs, waitMs: DRAIN_WAIT_MS, signal: scope.signal });
      await cluster.api.delete(nodePath(member.hostname));
      scope.notices.push({ type: 'Normal', reason: 'NodeDrained', message: `drained and deleted Node ${member.hostname}` });
    }
  }
  let cleanupPending: string | undefined;
  if (member.arch) {
    try {
      await scope.onHost(member, (s) => removeNode(s, 'worker'));
    } catch (error) {
      if (!(error instanceof HostError && UNREACHABLE.has(error.reason))) throw error;
      cleanupPending = `WorkerPool ${scope.wp.metadata.name} could not remove the node it installed: ${error.message}; clean the host before another cluster uses it`;
    }
  }
  await releaseFrom(deps.client, poolConsumer(scope), member.host, cleanupPending);
  scope.notices.push({
    type: cleanupPending ? 'Warning' : 'Normal',
    reason: 'HostReleased',
    message: `${cleanupPending ? 'gave back, cleanup pending' : 'removed the node from and gave back'} ${member.name}`,
  });
}

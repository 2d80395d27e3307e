// The hosts that are Nodes of a cluster: its control-plane members and the hosts of every WorkerPool
// that joins it.
import type { ControlPlane, MachineHost } from '../../api/index.ts';
import { ownsHost } from '../control-plane/claim.ts';
import { memberOf, MemberFactsError, type Member } from '../control-plane/members.ts';
import type { NetworkAddonScope } from './scope.ts';

export function nodeHosts(deps: NetworkAddonScope['deps'], cp: ControlPlane): Member[] {
  const namespace = cp.metadata.namespace;
  const pools = new Set(
    deps.workerPools
      .list()
      .filter((wp) => wp.metadata.namespace === namespace && wp.spec.controlPlaneRef.name === cp.metadata.name)
      .map((wp) => wp.metadata.name),
  );
  const isNode = (h: MachineHost) => ownsHost(cp, h) || (h.status?.consumerRef?.kind === 'WorkerPool' && pools.has(h.status.consumerRef.name));
  return deps.hosts
    .list()
    .filter((h) => h.metadata.namespace === namespace && isNode(h))
    .flatMap((h) => {
      try {
        return [memberOf(h)];
      } catch (error) {
        if (error instanceof MemberFactsError) return [];
        throw error;
      }
    });
}

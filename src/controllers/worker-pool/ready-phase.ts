// NodesReady: every host of the pool is a Ready Node carrying the pool's labels and taints.
import { isNodeReady, listNodes, notReadyReason, syncNodeMetadata } from '../node/nodes.ts';
import { workerNodePlan } from '../node/plan.ts';
import type { Phase } from '../phases.ts';
import type { WorkerPoolScope } from './scope.ts';

export const readyPhase: Phase<WorkerPoolScope> = {
  condition: 'NodesReady',
  needs: ['NodesInstalled'],
  does: 'the Nodes are Ready',
  async run(scope) {
    const { wp, members } = scope;
    const { cp, api } = scope.cluster!;
    const nodes = await listNodes(api);
    const notReady: string[] = [];
    let updated = 0;
    for (const member of members) {
      const node = nodes.get(member.hostname);
      if (node) {
        const plan = workerNodePlan(cp, wp.spec.kubelet, member);
        if (await syncNodeMetadata(api, node, plan.labels, plan.taints)) updated++;
      }
      if (!isNodeReady(node)) notReady.push(`${member.hostname} (${notReadyReason(node)})`);
    }
    if (updated > 0) scope.notices.push({ type: 'Normal', reason: 'NodesUpdated', message: `set the pool's labels and taints on ${updated} Node${updated === 1 ? '' : 's'}` });
    scope.status.nodes = members.map((m) => m.hostname);
    scope.status.readyReplicas = members.length - notReady.length;
    if (notReady.length > 0) {
      return { status: 'False', reason: 'NodesNotReady', message: `${notReady.length} of ${members.length} Nodes not Ready: ${notReady.join('; ')}`, requeueAfterMs: 2_000 };
    }
    return { status: 'True', reason: 'Ready', message: `${members.length} Node${members.length === 1 ? '' : 's'} Ready` };
  },
};

// NodesRegistered: every member is also a Node, as kubeadm makes them: containerd, the kubelet and
// kube-proxy installed by the same code as on workers, registered with the control-plane label and
// its NoSchedule taint. Registered is what this phase waits for, not Ready: a Node is Ready only
// once a NetworkAddon gives it a pod network, and the control plane serves without one.
import { HostError } from '../../host/index.ts';
import { ClusterApiError } from '../../workload/tunnel-request.ts';
import { WorkloadApiError } from '../../workload/api.ts';
import type { Phase, PhaseOutcome } from '../phases.ts';
import { settleAll } from '../settle.ts';
import { nodeArtifacts } from '../node/artifacts.ts';
import { installNode, removeNode } from '../node/install.ts';
import { isNodeReady, listNodes, nodePath, syncNodeMetadata } from '../node/nodes.ts';
import { controlPlaneNodePlan } from '../node/plan.ts';
import { workloadApiOf } from './cluster-access.ts';
import { generationOptions } from './cluster-secrets.ts';
import { clusterFacts } from './pki/phase.ts';
import type { ControlPlaneScope } from './scope.ts';

export const nodesPhase: Phase<ControlPlaneScope> = {
  condition: 'NodesRegistered',
  needs: ['Available'],
  does: 'the control-plane hosts are registered as Nodes',
  async run(scope): Promise<PhaseOutcome> {
    const { cp, members, deps } = scope;
    const material = scope.material!;
    const artifacts = await nodeArtifacts(deps.artifacts, cp, cp.spec.version, members.map((m) => m.arch));
    const pki = { cluster: clusterFacts(cp, scope.endpoint), authorities: material.authorities, serviceAccount: material.serviceAccount, options: generationOptions(cp) };
    await settleAll(
      members.map((member) =>
        scope.onHost(member, (s) => installNode(s, { plan: controlPlaneNodePlan(cp, member), artifacts: artifacts.get(member.arch)!, pki: { ...pki, member } })),
      ),
    );
    const api = workloadApiOf(scope);
    const nodes = await listNodes(api);
    const missing: string[] = [];
    for (const member of members) {
      const node = nodes.get(member.hostname);
      if (!node) {
        missing.push(member.hostname);
        continue;
      }
      const plan = controlPlaneNodePlan(cp, member);
      if (await syncNodeMetadata(api, node, plan.labels, plan.taints)) {
        scope.notices.push({ type: 'Normal', reason: 'NodeUpdated', message: `set the control-plane label and taint on Node ${member.hostname}` });
      }
    }
    if (missing.length > 0) {
      return { status: 'False', reason: 'WaitingForKubelet', message: `no Node registered yet for ${missing.join(', ')}; see \`journalctl -u kubelet\` there`, requeueAfterMs: 2_000 };
    }
    const ready = members.filter((m) => isNodeReady(nodes.get(m.hostname))).length;
    const network = ready < members.length ? ' (a Node is Ready once a NetworkAddon gives it a pod network)' : '';
    return { status: 'True', reason: 'Registered', message: `${members.length} of ${members.length} members registered as Nodes, ${ready} Ready${network}` };
  },
  async teardown(scope) {
    const api = scope.material ? workloadApiOf(scope) : undefined;
    await settleAll(
      scope.members.map(async (member) => {
        // The Node object goes first, while this member's API server still answers; a cluster that
        // is gone with it has no Node to remove.
        await api?.delete(nodePath(member.hostname)).catch((error: unknown) => {
          if (!(error instanceof ClusterApiError || error instanceof WorkloadApiError || error instanceof HostError)) throw error;
        });
        await scope.onHost(member, (s) => removeNode(s, 'control-plane'));
      }),
    );
  },
};

// NodesInstalled: containerd, the kubelet and kube-proxy on every host of the pool, in parallel,
// with the identities the operator issues (no bootstrap token).
import { generationOptions } from '../control-plane/cluster-secrets.ts';
import { clusterFacts } from '../control-plane/pki/phase.ts';
import { nodeArtifacts } from '../node/artifacts.ts';
import { installNode } from '../node/install.ts';
import { workerNodePlan } from '../node/plan.ts';
import type { Phase } from '../phases.ts';
import { settleAll } from '../settle.ts';
import type { WorkerPoolScope } from './scope.ts';

export const installPhase: Phase<WorkerPoolScope> = {
  condition: 'NodesInstalled',
  needs: ['ControlPlaneAvailable'],
  does: 'the container runtime, kubelet and kube-proxy are installed',
  async run(scope) {
    const { wp, members, deps } = scope;
    const { cp, material, endpoint } = scope.cluster!;
    if (members.length === 0) return { status: 'True', reason: 'NoHosts', message: 'the pool holds no host yet' };
    const version = wp.spec.version ?? cp.spec.version;
    const artifacts = await nodeArtifacts(deps.artifacts, cp, version, members.map((m) => m.arch));
    const pki = { cluster: clusterFacts(cp, endpoint), authorities: material.authorities, serviceAccount: material.serviceAccount, options: generationOptions(cp) };
    await settleAll(
      members.map((member) =>
        scope.onHost(member, (s) =>
          installNode(s, { plan: workerNodePlan(cp, wp.spec.kubelet, member), artifacts: artifacts.get(member.arch)!, pki: { ...pki, member } }),
        ),
      ),
    );
    return { status: 'True', reason: 'Installed', message: `Kubernetes ${version} node components on ${members.map((m) => m.name).join(', ')}` };
  },
};

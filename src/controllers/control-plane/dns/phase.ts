// CoreDNSReady: cluster DNS is installed once the API serves, and serves once a Node with a pod
// network lets its pods start. Until a Node is Ready the condition says a NetworkAddon is what it
// waits for; a CoreDNS that crashes says why, in its own last words.
import type { V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { isPodReady, listPods, notServing } from '../../../workload/pods.ts';
import { nthAddress } from '../../../pki/index.ts';
import { applyManifests } from '../../../workload/apply.ts';
import type { WorkloadApi } from '../../../workload/api.ts';
import { isNodeReady, listNodes } from '../../node/nodes.ts';
import type { Phase, PhaseOutcome } from '../../phases.ts';
import { workloadApiOf } from '../cluster-access.ts';
import type { ControlPlaneScope } from '../scope.ts';
import { COREDNS_NAME, COREDNS_NAMESPACE, COREDNS_REPLICAS, COREDNS_SELECTOR, coreDnsManifests } from './manifests.ts';

/** Taints CoreDNS tolerates (see manifests.ts). */
const TOLERATED = new Set(['node-role.kubernetes.io/control-plane', 'CriticalAddonsOnly']);
const STARTING_POLL_MS = 2_000;

/** A Ready Node CoreDNS may run on: schedulable, and no taint that keeps it off. */
function canHostCoreDns(node: V1Node): boolean {
  return isNodeReady(node) && !node.spec?.unschedulable && (node.spec?.taints ?? []).every((t) => t.effect === 'PreferNoSchedule' || TOLERATED.has(t.key));
}

/**
 * Two replicas on one Node protect against nothing. The scheduler only prefers to keep them apart,
 * and before the workers are Ready both land on whichever Node was first; once another Node could
 * take one, one is deleted and scheduled again.
 */
async function spreadReplicas(scope: ControlPlaneScope, api: WorkloadApi, ready: V1Pod[], nodes: Map<string, V1Node>): Promise<boolean> {
  const used = new Set(ready.map((p) => p.spec?.nodeName));
  if (used.size > 1 || ready.length < 2) return false;
  const elsewhere = [...nodes.values()].filter((n) => canHostCoreDns(n) && !used.has(n.metadata!.name));
  if (elsewhere.length === 0) return false;
  const moved = ready[ready.length - 1]!;
  await api.delete(`/api/v1/namespaces/${COREDNS_NAMESPACE}/pods/${encodeURIComponent(moved.metadata!.name!)}`);
  scope.notices.push({
    type: 'Normal',
    reason: 'CoreDNSSpread',
    message: `both CoreDNS replicas ran on Node ${[...used][0]}; deleted ${moved.metadata!.name} so it is scheduled on another Node`,
  });
  return true;
}

export const dnsPhase: Phase<ControlPlaneScope> = {
  condition: 'CoreDNSReady',
  // Applied as soon as the API serves, so its pods start the moment a Node has a pod network.
  needs: ['Available'],
  does: 'cluster DNS serves',
  async run(scope): Promise<PhaseOutcome> {
    const { cp } = scope;
    const api = workloadApiOf(scope);
    const changed = await applyManifests(api, coreDnsManifests(cp));
    if (changed.length > 0) scope.notices.push({ type: 'Normal', reason: 'CoreDNSApplied', message: `applied ${changed.join(', ')}` });
    const [nodes, deployment, pods] = await Promise.all([
      listNodes(api),
      api.get<V1Deployment>(`/apis/apps/v1/namespaces/${COREDNS_NAMESPACE}/deployments/${COREDNS_NAME}`),
      listPods(api, COREDNS_NAMESPACE, COREDNS_SELECTOR),
    ]);
    const address = nthAddress(cp.spec.clusterNetwork.serviceCIDR, 10);
    const ready = pods.filter(isPodReady).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    const wanted = deployment?.spec?.replicas ?? COREDNS_REPLICAS;
    if (ready.length >= wanted) {
      if (await spreadReplicas(scope, api, ready, nodes)) {
        return { status: 'False', reason: 'Spreading', message: 'moving a CoreDNS replica to another Node', requeueAfterMs: STARTING_POLL_MS };
      }
      const on = [...new Set(ready.map((p) => p.spec?.nodeName))].sort().join(', ');
      return { status: 'True', reason: 'Serving', message: `${ready.length} CoreDNS replicas ready on ${on}; kube-dns at ${address}` };
    }
    if (![...nodes.values()].some(isNodeReady)) {
      const addon = scope.deps.networkAddons.list().find((a) => a.metadata.namespace === cp.metadata.namespace && a.spec.controlPlaneRef.name === cp.metadata.name);
      return addon
        ? { status: 'False', reason: 'WaitingForPodNetwork', message: `CoreDNS starts once a Node has a pod network; NetworkAddon ${addon.metadata.name} is installing it`, requeueAfterMs: STARTING_POLL_MS }
        : {
            status: 'False',
            reason: 'WaitingForPodNetwork',
            message: `CoreDNS starts once a Node has a pod network and none is Ready; create a NetworkAddon for ControlPlane ${cp.metadata.name}`,
            // Nothing to retry: creating the NetworkAddon wakes this ControlPlane (see ../index.ts).
            requeueAfterMs: scope.deps.recheckIntervalMs,
          };
    }
    const states = notServing(pods);
    const loop = states.find((s) => /plugin\/loop/.test(s));
    if (loop) {
      return {
        status: 'False',
        reason: 'ForwardingLoop',
        message:
          `CoreDNS forwards to itself (${loop}): the resolv.conf the kubelet gives pods names a loopback address. ` +
          'Point the hosts at a resolver reachable from pods (or at systemd-resolved, whose upstream list kubesmith uses)',
        needsPerson: true,
      };
    }
    return {
      status: 'False',
      reason: 'Starting',
      message: `${ready.length} of ${wanted} CoreDNS replicas ready${states.length ? ` (${states.join('; ')})` : ''}`,
      requeueAfterMs: STARTING_POLL_MS,
    };
  },
};

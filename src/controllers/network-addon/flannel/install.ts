// The `flannel` provider across the cluster: the add-on applied through the operator's tunnel, then
// on each Node's host, once flanneld holds its lease there, the CNI config written from it. Ready
// when the DaemonSet is available on every Node and every host has its config.
import { setTimeout as delay } from 'node:timers/promises';
import type { V1DaemonSet, V1Node } from '@kubernetes/client-node';
import { KubesmithError } from '../../../errors.ts';
import { MERGE_PATCH, type WorkloadApi } from '../../../workload/api.ts';
import { applyManifests, deleteManifests } from '../../../workload/apply.ts';
import { listPods, notServing } from '../../../workload/pods.ts';
import { clusterContext, ControlPlaneNotAvailableError } from '../../cluster-context.ts';
import { listNodes, nodePath } from '../../node/nodes.ts';
import type { PhaseOutcome } from '../../phases.ts';
import { settleAll } from '../../settle.ts';
import { nodeHosts } from '../hosts.ts';
import type { NetworkAddonScope } from '../scope.ts';
import { convergeFlannelHost, leaseMatches, readFlannelLease, removeFlannelHost } from './host.ts';
import { FLANNEL_DAEMONSET, FLANNEL_NAMESPACE, FLANNEL_SELECTOR, flannelBackend, flannelManifests } from './manifests.ts';

const POLL_MS = 2_000;
const STOP_TIMEOUT_MS = 120_000;
const ANNOTATION_PREFIX = 'flannel.alpha.coreos.com/';

/** flanneld pods did not go away after their DaemonSet was deleted. */
export class FlannelStillRunningError extends KubesmithError {
  readonly reason = 'FlannelStillRunning';
}

export async function installFlannel(scope: NetworkAddonScope): Promise<PhaseOutcome> {
  const { addon } = scope;
  const { api, cp } = scope.cluster!;
  const applied = await applyManifests(api, flannelManifests(cp, addon));
  if (applied.length > 0) scope.notices.push({ type: 'Normal', reason: 'FlannelApplied', message: `applied ${applied.join(', ')}` });
  const [nodes, daemonSet] = await Promise.all([
    listNodes(api),
    api.get<V1DaemonSet>(`/apis/apps/v1/namespaces/${FLANNEL_NAMESPACE}/daemonsets/${FLANNEL_DAEMONSET}`),
  ]);
  const hosts = nodeHosts(scope.deps, cp);
  const configured: string[] = [];
  const waiting: string[] = [];
  let mtu: number | undefined;
  let changed = 0;
  await settleAll(
    hosts.map(async (host) => {
      const podCIDR = nodes.get(host.hostname)?.spec?.podCIDR;
      if (!podCIDR) {
        waiting.push(`${host.hostname} has no podCIDR yet`);
        return;
      }
      const outcome = await scope.onHost(host, async (session) => {
        const lease = await readFlannelLease(session);
        if (!lease || !leaseMatches(lease, podCIDR)) return 'no lease' as const;
        mtu = addon.spec.mtu ?? lease.mtu;
        return convergeFlannelHost(session, { name: host.hostname, podCIDR }, lease, cp.spec.clusterNetwork.podCIDR, addon.spec.mtu);
      });
      if (outcome === 'no lease') {
        waiting.push(`flanneld holds no lease on ${host.hostname} yet`);
        return;
      }
      configured.push(host.hostname);
      if (outcome) changed++;
    }),
  );
  if (changed > 0) scope.notices.push({ type: 'Normal', reason: 'NetworkUpdated', message: `wrote the flannel pod network configuration on ${changed} host${changed === 1 ? '' : 's'}` });
  scope.status.nodes = configured.sort();
  const desired = daemonSet?.status?.desiredNumberScheduled ?? 0;
  const available = daemonSet?.status?.numberAvailable ?? 0;
  const updated = daemonSet?.status?.updatedNumberScheduled ?? 0;
  if (waiting.length > 0 || available < desired || updated < desired || desired < hosts.length) {
    const pods = notServing(await listPods(api, FLANNEL_NAMESPACE, FLANNEL_SELECTOR));
    const details = [...waiting.sort(), ...pods];
    return {
      status: 'False',
      reason: 'WaitingForFlannel',
      message: `flannel available on ${available} of ${hosts.length} Nodes${details.length ? `: ${details.join('; ')}` : ''}`,
      requeueAfterMs: POLL_MS,
    };
  }
  return {
    status: 'True',
    reason: 'Installed',
    message: `flannel ${flannelBackend(addon)} on ${configured.length} Node${configured.length === 1 ? '' : 's'}, pod MTU ${mtu}`,
  };
}

/** flannel's Node annotations (its lease and backend data), set by flanneld, removed with it. */
async function removeNodeAnnotations(api: WorkloadApi, nodes: Map<string, V1Node>): Promise<void> {
  for (const [name, node] of nodes) {
    const keys = Object.keys(node.metadata?.annotations ?? {}).filter((k) => k.startsWith(ANNOTATION_PREFIX));
    if (keys.length === 0) continue;
    await api.json('PATCH', nodePath(name), { metadata: { annotations: Object.fromEntries(keys.map((k) => [k, null])) } }, MERGE_PATCH);
  }
}

async function waitForFlanneldGone(api: WorkloadApi, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const left = await listPods(api, FLANNEL_NAMESPACE, FLANNEL_SELECTOR);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new FlannelStillRunningError(`flannel pods still run ${STOP_TIMEOUT_MS / 1000} s after their DaemonSet was deleted: ${left.map((p) => p.metadata?.name).join(', ')}`);
    }
    await delay(POLL_MS, undefined, { signal });
  }
}

/**
 * The add-on goes from the cluster first, and its hosts are cleaned only once flanneld has stopped,
 * so that nothing re-creates its device or lease behind the cleanup.
 */
export async function teardownFlannel(scope: NetworkAddonScope): Promise<void> {
  const { addon, deps } = scope;
  const cp = deps.controlPlanes.get(`${addon.metadata.namespace}/${addon.spec.controlPlaneRef.name}`);
  if (!cp) return;
  try {
    const { api } = await clusterContext(deps, addon.metadata.namespace!, cp.metadata.name!, scope);
    const deleted = await deleteManifests(api, flannelManifests(cp, addon));
    if (deleted.length > 0) scope.notices.push({ type: 'Normal', reason: 'FlannelDeleted', message: `deleted ${deleted.join(', ')}` });
    await waitForFlanneldGone(api, scope.signal);
    await removeNodeAnnotations(api, await listNodes(api));
  } catch (error) {
    // A cluster that no longer serves runs no flanneld; its hosts are still cleaned.
    if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
  }
  await settleAll(nodeHosts(deps, cp).map((host) => scope.onHost(host, removeFlannelHost)));
}

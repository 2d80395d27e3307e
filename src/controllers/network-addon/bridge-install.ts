// The `bridge` provider across the cluster: each Node's CNI config in its podCIDR (allocated by
// kube-controller-manager once the Node registers) and routes to every other Node's range.
import { settleAll } from '../settle.ts';
import { listNodes } from '../node/nodes.ts';
import type { PhaseOutcome } from '../phases.ts';
import { convergeBridge, removeBridge, type BridgeNode } from './bridge.ts';
import { nodeHosts } from './hosts.ts';
import type { NetworkAddonScope } from './scope.ts';

export async function installBridge(scope: NetworkAddonScope): Promise<PhaseOutcome> {
  const { addon } = scope;
  const { api, cp } = scope.cluster!;
  const nodes = await listNodes(api);
  const hosts = nodeHosts(scope.deps, cp);
  const withRange: BridgeNode[] = [];
  const waiting: string[] = [];
  for (const host of hosts) {
    const podCIDR = nodes.get(host.hostname)?.spec?.podCIDR;
    if (podCIDR) withRange.push({ name: host.hostname, ip: host.ip, podCIDR });
    else waiting.push(host.hostname);
  }
  const byName = new Map(hosts.map((h) => [h.hostname, h]));
  let changed = 0;
  await settleAll(
    withRange.map(async (node) => {
      const others = withRange.filter((o) => o !== node);
      if (await scope.onHost(byName.get(node.name)!, (s) => convergeBridge(s, node, others, cp.spec.clusterNetwork.podCIDR, addon.spec.mtu))) changed++;
    }),
  );
  if (changed > 0) scope.notices.push({ type: 'Normal', reason: 'NetworkUpdated', message: `set the bridge network on ${changed} host${changed === 1 ? '' : 's'}` });
  scope.status.nodes = withRange.map((n) => n.name).sort();
  if (waiting.length > 0) {
    return { status: 'False', reason: 'WaitingForPodCIDR', message: `no Node podCIDR yet for ${waiting.join(', ')} (the Node registers, then kube-controller-manager allocates it)`, requeueAfterMs: 2_000 };
  }
  return { status: 'True', reason: 'Installed', message: `bridge network on ${withRange.length} Node${withRange.length === 1 ? '' : 's'}` };
}

export async function teardownBridge(scope: NetworkAddonScope): Promise<void> {
  const cp = scope.deps.controlPlanes.get(`${scope.addon.metadata.namespace}/${scope.addon.spec.controlPlaneRef.name}`);
  if (cp) await settleAll(nodeHosts(scope.deps, cp).map((host) => scope.onHost(host, removeBridge)));
}

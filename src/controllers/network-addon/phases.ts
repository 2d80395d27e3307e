// The NetworkAddon's phases: the cluster is reached and agrees on the pod range, then the provider
// is installed on every Node's host.
import { clusterContext, ControlPlaneNotAvailableError } from '../cluster-context.ts';
import { listNodes } from '../node/nodes.ts';
import type { Phase, PhaseOutcome } from '../phases.ts';
import { settleAll } from '../settle.ts';
import { convergeBridge, removeBridge, type BridgeNode } from './bridge.ts';
import { nodeHosts } from './hosts.ts';
import type { NetworkAddonScope } from './scope.ts';

const clusterPhase: Phase<NetworkAddonScope> = {
  condition: 'ControlPlaneAvailable',
  needs: [],
  does: 'the cluster is reached',
  async run(scope): Promise<PhaseOutcome> {
    const { addon, deps } = scope;
    const ref = addon.spec.controlPlaneRef.name;
    const cp = deps.controlPlanes.get(`${addon.metadata.namespace}/${ref}`);
    const clusterCIDR = cp?.spec.clusterNetwork.podCIDR;
    if (cp && addon.spec.podCIDR && addon.spec.podCIDR !== clusterCIDR) {
      return {
        status: 'False',
        reason: 'PodCIDRMismatch',
        message: `spec.podCIDR is ${addon.spec.podCIDR} but ControlPlane ${ref} allocates Node ranges from ${clusterCIDR}; remove spec.podCIDR or set it to ${clusterCIDR}`,
        needsPerson: true,
      };
    }
    try {
      scope.cluster = await clusterContext(deps, addon.metadata.namespace!, ref, scope.signal);
    } catch (error) {
      if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
      return { status: 'False', reason: 'WaitingForControlPlane', message: error.message };
    }
    return { status: 'True', reason: 'Available', message: `ControlPlane ${ref} serves; pod network ${clusterCIDR}` };
  },
};

const installedPhase: Phase<NetworkAddonScope> = {
  condition: 'Installed',
  needs: ['ControlPlaneAvailable'],
  does: 'the pod network is installed on every Node',
  async run(scope): Promise<PhaseOutcome> {
    const { addon } = scope;
    if (addon.spec.provider !== 'bridge') {
      return { status: 'False', reason: 'ProviderNotSupported', message: `provider ${addon.spec.provider} is not supported by this version of kubesmith; use bridge`, needsPerson: true };
    }
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
  },
  async teardown(scope) {
    // An addon that never installed anything (refused, say) must not take down another one's network.
    if (!scope.addon.status?.nodes?.length) return;
    const cp = scope.deps.controlPlanes.get(`${scope.addon.metadata.namespace}/${scope.addon.spec.controlPlaneRef.name}`);
    if (cp) await settleAll(nodeHosts(scope.deps, cp).map((host) => scope.onHost(host, removeBridge)));
  },
};

export const NETWORK_ADDON_PHASES: readonly Phase<NetworkAddonScope>[] = [clusterPhase, installedPhase];

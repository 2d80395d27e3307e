// The NetworkAddon's phases: the cluster is reached and agrees on the pod range, then the pod
// network is installed on every Node by the provider the spec names.
import { clusterContext, ControlPlaneNotAvailableError } from '../cluster-context.ts';
import type { Phase, PhaseOutcome } from '../phases.ts';
import { installBridge, teardownBridge } from './bridge-install.ts';
import { installFlannel, teardownFlannel } from './flannel/install.ts';
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
      scope.cluster = await clusterContext(deps, addon.metadata.namespace!, ref, scope);
    } catch (error) {
      if (!(error instanceof ControlPlaneNotAvailableError)) throw error;
      return { status: 'False', reason: 'WaitingForControlPlane', message: error.message };
    }
    return { status: 'True', reason: 'Available', message: `ControlPlane ${ref} serves; pod network ${clusterCIDR}` };
  },
};

const PROVIDERS = {
  bridge: { install: installBridge, teardown: teardownBridge },
  flannel: { install: installFlannel, teardown: teardownFlannel },
};

const installedPhase: Phase<NetworkAddonScope> = {
  condition: 'Installed',
  needs: ['ControlPlaneAvailable'],
  does: 'the pod network is installed on every Node',
  run: (scope) => PROVIDERS[scope.addon.spec.provider].install(scope),
  async teardown(scope) {
    // An addon that never installed anything (refused, say) must not take down another one's network.
    if (!scope.addon.status?.nodes?.length) return;
    await PROVIDERS[scope.addon.spec.provider].teardown(scope);
  },
};

export const NETWORK_ADDON_PHASES: readonly Phase<NetworkAddonScope>[] = [clusterPhase, installedPhase];

// What the control-plane components of one host are built from: the cluster's settings from its
// ControlPlane and the few facts of the host. Every builder in this folder reads only this.
import type { ControlPlane } from '../../../api/index.ts';
import { CLIENT_PORT } from '../etcd/unit.ts';

export type ExtraArgs = Readonly<Record<string, string>>;

/** Keys of the ControlPlane spec (and of `extraArgs` here) that carry a component's extra flags. */
export type ExtraArgsField = 'apiServer' | 'controllerManager' | 'scheduler';

export interface ComponentsPlan {
  clusterName: string;
  /** The address this host's API server advertises to the cluster. */
  advertiseIP: string;
  serviceCIDR: string;
  podCIDR: string;
  dnsDomain: string;
  /** etcd client URLs, for example `['https://127.0.0.1:2379']`. */
  etcdServers: readonly string[];
  extraArgs: Partial<Record<ExtraArgsField, ExtraArgs>>;
}

export interface ComponentsHost {
  advertiseIP: string;
  /** The local etcd member when absent: every control-plane host runs one, listening on loopback too. */
  etcdServers?: readonly string[];
}

export function componentsPlan(cp: ControlPlane, host: ComponentsHost): ComponentsPlan {
  const { spec } = cp;
  return {
    clusterName: cp.metadata.name!,
    advertiseIP: host.advertiseIP,
    serviceCIDR: spec.clusterNetwork.serviceCIDR,
    podCIDR: spec.clusterNetwork.podCIDR,
    dnsDomain: spec.clusterNetwork.dnsDomain,
    etcdServers: host.etcdServers ?? [`https://127.0.0.1:${CLIENT_PORT}`],
    extraArgs: {
      apiServer: spec.apiServer?.extraArgs,
      controllerManager: spec.controllerManager?.extraArgs,
      scheduler: spec.scheduler?.extraArgs,
    },
  };
}

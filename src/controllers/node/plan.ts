// Everything a node's files are built from, decided once per host from the ControlPlane, the pool's
// kubelet settings and the host's facts; the builders in this folder are pure functions of it.
import type { ControlPlane, MachineHost, WorkerPool } from '../../api/index.ts';
import { nthAddress } from '../../pki/index.ts';
import type { Member } from '../control-plane/members.ts';

export type NodeRole = 'control-plane' | 'worker';

export interface NodeTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodePlan {
  role: NodeRole;
  /** Node name: the host's hostname, as in its kubelet certificate. */
  nodeName: string;
  nodeIP: string;
  clusterDNS: string;
  dnsDomain: string;
  podCIDR: string;
  imageRepository: string;
  registryMirrors: NonNullable<ControlPlane['spec']['registryMirrors']>;
  kubeProxyMode: ControlPlane['spec']['kubeProxy']['mode'];
  /** Taints the kubelet registers with, so that nothing is scheduled before the operator labels the Node. */
  taints: NodeTaint[];
  labels: Record<string, string>;
  maxPods?: number;
  extraArgs?: Record<string, string>;
  /** The spec field extraArgs come from, named in errors. */
  extraArgsField: string;
  cgroupV1: boolean;
  inContainer: boolean;
}

/** kubeadm's label and taint for control-plane Nodes. */
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
const CONTROL_PLANE_TAINT: NodeTaint = { key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' };

type KubeletSpec = NonNullable<WorkerPool['spec']['kubelet']>;

function hostFacts(host: MachineHost): Pick<NodePlan, 'cgroupV1' | 'inContainer'> {
  return { cgroupV1: host.status?.facts?.cgroupVersion === 1, inContainer: Boolean(host.status?.facts?.container) };
}

function clusterPart(cp: ControlPlane) {
  const { clusterNetwork, imageRepository, registryMirrors, kubeProxy } = cp.spec;
  return {
    clusterDNS: nthAddress(clusterNetwork.serviceCIDR, 10),
    dnsDomain: clusterNetwork.dnsDomain,
    podCIDR: clusterNetwork.podCIDR,
    imageRepository,
    registryMirrors: registryMirrors ?? [],
    kubeProxyMode: kubeProxy.mode,
  };
}

export function controlPlaneNodePlan(cp: ControlPlane, member: Member): NodePlan {
  return {
    role: 'control-plane',
    nodeName: member.hostname,
    nodeIP: member.ip,
    ...clusterPart(cp),
    taints: [CONTROL_PLANE_TAINT],
    labels: { [CONTROL_PLANE_LABEL]: '' },
    extraArgs: cp.spec.kubelet?.extraArgs,
    extraArgsField: 'spec.kubelet.extraArgs',
    ...hostFacts(member.host),
  };
}

export function workerNodePlan(cp: ControlPlane, kubelet: KubeletSpec | undefined, member: Member): NodePlan {
  return {
    role: 'worker',
    nodeName: member.hostname,
    nodeIP: member.ip,
    ...clusterPart(cp),
    taints: (kubelet?.taints ?? []).map((t) => ({ key: t.key, effect: t.effect, ...(t.value === undefined ? {} : { value: t.value }) })),
    labels: { ...kubelet?.nodeLabels },
    ...(kubelet?.maxPods === undefined ? {} : { maxPods: kubelet.maxPods }),
    extraArgs: kubelet?.extraArgs,
    extraArgsField: 'spec.kubelet.extraArgs',
    ...hostFacts(member.host),
  };
}

import type { NodePlan } from '../../../src/controllers/node/plan.ts';

export function plan(overrides: Partial<NodePlan> = {}): NodePlan {
  return {
    role: 'worker',
    nodeName: 'worker-1',
    nodeIP: '10.0.0.21',
    clusterDNS: '10.96.0.10',
    dnsDomain: 'cluster.local',
    podCIDR: '10.244.0.0/16',
    imageRepository: 'registry.example.com/k8s',
    registryMirrors: [],
    kubeProxyMode: 'iptables',
    taints: [],
    labels: {},
    extraArgsField: 'spec.kubelet.extraArgs',
    cgroupV1: false,
    inContainer: false,
    ...overrides,
  };
}

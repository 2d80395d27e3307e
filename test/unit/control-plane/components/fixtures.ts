import type { ComponentsPlan } from '../../../../src/controllers/control-plane/components/plan.ts';

export const plan: ComponentsPlan = {
  clusterName: 'demo',
  advertiseIP: '10.0.0.11',
  serviceCIDR: '10.96.0.0/12',
  podCIDR: '10.244.0.0/16',
  dnsDomain: 'cluster.local',
  etcdServers: ['https://127.0.0.1:2379'],
  extraArgs: {},
};

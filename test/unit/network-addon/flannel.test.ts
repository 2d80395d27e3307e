import { describe, expect, it } from 'vitest';
import type { ControlPlane, NetworkAddon } from '../../../src/api/index.ts';
import { leaseMatches, parseSubnetEnv } from '../../../src/controllers/network-addon/flannel/host.ts';
import { FLANNEL_VERSION, flannelImage, flannelManifests, netConf } from '../../../src/controllers/network-addon/flannel/manifests.ts';

const cp = { spec: { imageRepository: 'registry.test:5000/kubesmith', clusterNetwork: { podCIDR: '10.200.0.0/16' } } } as unknown as ControlPlane;
const addon = (backend?: 'vxlan' | 'host-gw') => ({ spec: { provider: 'flannel', ...(backend ? { flannel: { backend } } : {}) } }) as unknown as NetworkAddon;

describe('flannel as kubesmith applies it', () => {
  it('gives flanneld the ControlPlane’s pod range and the spec’s backend, vxlan when none is named', () => {
    expect(JSON.parse(netConf('10.200.0.0/16', 'vxlan'))).toEqual({ Network: '10.200.0.0/16', EnableNFTables: false, Backend: { Type: 'vxlan', Port: 8472 } });
    const config = (backend?: 'vxlan' | 'host-gw') =>
      JSON.parse((flannelManifests(cp, addon(backend)).find((m) => m.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data['net-conf.json']!);
    expect(config().Backend.Type).toBe('vxlan');
    expect(config('host-gw')).toMatchObject({ Network: '10.200.0.0/16', Backend: { Type: 'host-gw' } });
  });

  it('runs flanneld from the imageRepository, leaving iptables to kubesmith, with no more than NET_ADMIN and NET_RAW', () => {
    const daemonSet = flannelManifests(cp, addon()).find((m) => m.kind === 'DaemonSet') as unknown as {
      spec: { template: { spec: { hostNetwork: boolean; containers: { image: string; args: string[]; securityContext: object }[] } } };
    };
    const [container] = daemonSet.spec.template.spec.containers;
    expect(daemonSet.spec.template.spec.hostNetwork).toBe(true);
    expect(container!.image).toBe(`registry.test:5000/kubesmith/flannel:${FLANNEL_VERSION}`);
    expect(container!.args).toEqual(['--kube-subnet-mgr', '--ip-masq=false', '--iptables-forward-rules=false']);
    expect(container!.securityContext).toEqual({ privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } });
    // registry.k8s.io has no flannel image: the default repository means flannel's own.
    expect(flannelImage('registry.k8s.io')).toBe(`ghcr.io/flannel-io/flannel:${FLANNEL_VERSION}`);
  });

  it('reads flanneld’s lease and checks it is the Node’s range', () => {
    const lease = parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n');
    expect(lease).toEqual({ network: '10.244.0.0/16', subnet: '10.244.2.1/24', mtu: 1450 });
    expect(leaseMatches(lease!, '10.244.2.0/24')).toBe(true);
    expect(leaseMatches(lease!, '10.244.3.0/24')).toBe(false);
    expect(parseSubnetEnv('')).toBeUndefined();
    expect(parseSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\n')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { podBridgeConfig } from '../../../src/controllers/network-addon/pod-bridge.ts';

describe('the CNI configuration of the pods’ bridge', () => {
  it('hands out the Node’s own range on cni0, and the MTU when the spec sets one', () => {
    const config = JSON.parse(podBridgeConfig('kubesmith-bridge', '10.244.3.0/24', 1400));
    const bridge = config.plugins[0];
    expect(bridge).toMatchObject({ type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, mtu: 1400 });
    expect(bridge.ipam).toEqual({ type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] });
    expect(config.plugins[1]).toEqual({ type: 'portmap', capabilities: { portMappings: true } });
    expect(config.name).toBe('kubesmith-bridge');
    expect(JSON.parse(podBridgeConfig('kubesmith-bridge', '10.244.3.0/24', undefined)).plugins[0]).not.toHaveProperty('mtu');
  });
});

import { describe, expect, it } from 'vitest';
import { bridgeConfig } from '../../../src/controllers/network-addon/bridge.ts';

describe('the bridge CNI configuration', () => {
  it('hands out the Node’s own range on cni0, and the MTU when the spec sets one', () => {
    const config = JSON.parse(bridgeConfig('10.244.3.0/24', 1400));
    const bridge = config.plugins[0];
    expect(bridge).toMatchObject({ type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, mtu: 1400 });
    expect(bridge.ipam).toEqual({ type: 'host-local', ranges: [[{ subnet: '10.244.3.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] });
    expect(config.plugins[1]).toEqual({ type: 'portmap', capabilities: { portMappings: true } });
    expect(JSON.parse(bridgeConfig('10.244.3.0/24', undefined)).plugins[0]).not.toHaveProperty('mtu');
  });
});

// What every provider puts on a host for its pods, whatever carries traffic between hosts: a CNI
// config with the bridge and host-local plugins in the Node's range (flannel's own CNI plugin
// delegates to exactly these), and one masquerade rule for traffic leaving the pod network, so pod
// to pod keeps pod addresses across nodes.
import { shellQuote, writeFiles, type HostSession } from '../../host/index.ts';
import { removeFiles } from '../remote-files.ts';

const BRIDGE_NAME = 'cni0';
const MASQUERADE_COMMENT = 'kubesmith: pods to outside the pod network';

export function podBridgeConfig(name: string, subnet: string, mtu: number | undefined): string {
  const config = {
    cniVersion: '1.0.0',
    name,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE_NAME,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ...(mtu === undefined ? {} : { mtu }),
        ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function masqueradeRule(nodeCIDR: string, clusterPodCIDR: string): string {
  return `POSTROUTING -s ${nodeCIDR} ! -d ${clusterPodCIDR} -m comment --comment ${shellQuote(MASQUERADE_COMMENT)} -j MASQUERADE`;
}

/** Writes the CNI config and the masquerade rule; true when either changed. */
export async function convergePodBridge(
  session: HostSession,
  config: { path: string; name: string; subnet: string; mtu: number | undefined },
  clusterPodCIDR: string,
): Promise<boolean> {
  const [written] = await writeFiles(session, [{ path: config.path, mode: 0o644, content: podBridgeConfig(config.name, config.subnet, config.mtu) }]);
  const rule = masqueradeRule(config.subnet, clusterPodCIDR);
  const masq = await session.check(`if iptables -t nat -C ${rule} 2>/dev/null; then echo present; else iptables -t nat -A ${rule} && echo added; fi`);
  const added = masq.stdout.includes('added');
  if (added) session.recordChange(`masquerade traffic from ${config.subnet} leaving the pod network`, 'iptables', 0, masq.durationMs);
  return Boolean(written?.changed) || added;
}

/** Removes the CNI config, the masquerade rules and the bridge with the pods' addresses on it. */
export async function removePodBridge(session: HostSession, configPath: string): Promise<void> {
  await removeFiles(session, [configPath], 'removed the pod network configuration');
  await session.check(
    `iptables -t nat -S POSTROUTING | grep -F ${shellQuote(MASQUERADE_COMMENT)} | sed 's/^-A /-D /' | while read -r r; do eval "iptables -t nat $r"; done; ` +
      `ip link delete ${BRIDGE_NAME} 2>/dev/null; true`,
  );
}

// The `bridge` pod network: each Node's pods on a Linux bridge in the Node's podCIDR (the CNI bridge
// and host-local plugins), and on every host a route to each other Node's podCIDR through that
// Node's address. It needs the hosts on one L2 segment (or routes between them) and no image.
// Routes are tagged with their own protocol number, so the ones that went stale are found and
// removed without touching anyone else's.
import { shellQuote, writeFiles, type HostSession } from '../../host/index.ts';
import { removeFiles } from '../remote-files.ts';

export const BRIDGE_CONFIG_PATH = '/etc/cni/net.d/10-kubesmith-bridge.conflist';
/** Routing protocol number of kubesmith's pod routes (unassigned in iproute2's rt_protos). */
export const ROUTE_PROTOCOL = 199;
const MASQUERADE_COMMENT = 'kubesmith bridge: pods to outside the pod network';

export interface BridgeNode {
  name: string;
  ip: string;
  podCIDR: string;
}

export function bridgeConfig(podCIDR: string, mtu: number | undefined): string {
  const config = {
    cniVersion: '1.0.0',
    name: 'kubesmith-bridge',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        // Pod to pod keeps pod addresses across nodes; the host masquerades only traffic leaving the pod network.
        ipMasq: false,
        hairpinMode: true,
        ...(mtu === undefined ? {} : { mtu }),
        ipam: { type: 'host-local', ranges: [[{ subnet: podCIDR }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** One round trip that sets the routes to the other Nodes and drops kubesmith routes to any other range. */
function routesScript(others: readonly BridgeNode[]): string {
  const wanted = others.map((n) => n.podCIDR);
  const add = others.map((n) => `ip route replace ${shellQuote(n.podCIDR)} via ${shellQuote(n.ip)} proto ${ROUTE_PROTOCOL}`).join(' && ');
  return (
    `${add || 'true'} && ` +
    `ip route show proto ${ROUTE_PROTOCOL} | while read -r dst rest; do case " ${wanted.join(' ')} " in *" $dst "*) ;; *) ip route del "$dst" proto ${ROUTE_PROTOCOL} && echo "removed:$dst";; esac; done`
  );
}

function masqueradeRule(node: BridgeNode, clusterPodCIDR: string): string {
  return `POSTROUTING -s ${node.podCIDR} ! -d ${clusterPodCIDR} -m comment --comment ${shellQuote(MASQUERADE_COMMENT)} -j MASQUERADE`;
}

/** Makes the host's pod network match: its CNI config, its routes to the others, its masquerade rule. */
export async function convergeBridge(session: HostSession, node: BridgeNode, others: readonly BridgeNode[], clusterPodCIDR: string, mtu: number | undefined): Promise<boolean> {
  const [written] = await writeFiles(session, [{ path: BRIDGE_CONFIG_PATH, mode: 0o644, content: bridgeConfig(node.podCIDR, mtu) }]);
  const before = await session.check(`ip route show proto ${ROUTE_PROTOCOL}`);
  const routes = await session.check(routesScript(others));
  const after = await session.check(`ip route show proto ${ROUTE_PROTOCOL}`);
  const routesChanged = before.stdout !== after.stdout || routes.stdout.includes('removed:');
  if (routesChanged) session.recordChange(`set routes to the pod ranges of ${others.map((o) => o.name).join(', ') || 'no other Node'}`, 'ip route', 0, routes.durationMs);
  const rule = masqueradeRule(node, clusterPodCIDR);
  const masq = await session.check(`if iptables -t nat -C ${rule} 2>/dev/null; then echo present; else iptables -t nat -A ${rule} && echo added; fi`);
  if (masq.stdout.includes('added')) session.recordChange(`masquerade traffic from ${node.podCIDR} leaving the pod network`, 'iptables', 0, masq.durationMs);
  return Boolean(written?.changed) || routesChanged || masq.stdout.includes('added');
}

/** Takes the bridge network off the host: config, routes, masquerade rules and the bridge itself. */
export async function removeBridge(session: HostSession): Promise<void> {
  await removeFiles(session, [BRIDGE_CONFIG_PATH], 'removed the bridge pod network configuration');
  const script =
    `ip route flush proto ${ROUTE_PROTOCOL}; ` +
    `iptables -t nat -S POSTROUTING | grep -F ${shellQuote(MASQUERADE_COMMENT)} | sed 's/^-A /-D /' | while read -r r; do eval "iptables -t nat $r"; done; ` +
    'ip link delete cni0 2>/dev/null; true';
  await session.check(script);
}

// The `bridge` pod network: each Node's pods on a Linux bridge in the Node's podCIDR (the CNI bridge
// and host-local plugins), and on every host a route to each other Node's podCIDR through that
// Node's address. It needs the hosts on one L2 segment (or routes between them) and no image.
// Routes are tagged with their own protocol number, so the ones that went stale are found and
// removed without touching anyone else's.
import { shellQuote, type HostSession } from '../../host/index.ts';
import { convergePodBridge, removePodBridge } from './pod-bridge.ts';

export const BRIDGE_CONFIG_PATH = '/etc/cni/net.d/10-kubesmith-bridge.conflist';
/** Routing protocol number of kubesmith's pod routes (unassigned in iproute2's rt_protos). */
export const ROUTE_PROTOCOL = 199;

export interface BridgeNode {
  name: string;
  ip: string;
  podCIDR: string;
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

/** Makes the host's pod network match: its CNI config, its routes to the others, its masquerade rule. */
export async function convergeBridge(session: HostSession, node: BridgeNode, others: readonly BridgeNode[], clusterPodCIDR: string, mtu: number | undefined): Promise<boolean> {
  const pods = await convergePodBridge(session, { path: BRIDGE_CONFIG_PATH, name: 'kubesmith-bridge', subnet: node.podCIDR, mtu }, clusterPodCIDR);
  const before = await session.check(`ip route show proto ${ROUTE_PROTOCOL}`);
  const routes = await session.check(routesScript(others));
  const after = await session.check(`ip route show proto ${ROUTE_PROTOCOL}`);
  const routesChanged = before.stdout !== after.stdout || routes.stdout.includes('removed:');
  if (routesChanged) session.recordChange(`set routes to the pod ranges of ${others.map((o) => o.name).join(', ') || 'no other Node'}`, 'ip route', 0, routes.durationMs);
  return pods || routesChanged;
}

/** Takes the bridge network off the host: config, routes, masquerade rules and the bridge itself. */
export async function removeBridge(session: HostSession): Promise<void> {
  await removePodBridge(session, BRIDGE_CONFIG_PATH);
  await session.check(`ip route flush proto ${ROUTE_PROTOCOL}; true`);
}

// flannel on one host, as kubesmith sees it over SSH: flanneld's lease file says the Node's range and
// the MTU it derived from the host interface (less the vxlan header); from it kubesmith writes the
// CNI config that flannel's own CNI plugin would hand to the bridge plugin at each pod start, and
// the masquerade rule. Removal takes off what flanneld left: its vxlan device, its host-gw routes
// and its lease.
import type { HostSession } from '../../../host/index.ts';
import { KubesmithError } from '../../../errors.ts';
import { convergePodBridge, removePodBridge } from '../pod-bridge.ts';
import { nthAddress } from '../../../pki/index.ts';

export const FLANNEL_CONFIG_PATH = '/etc/cni/net.d/10-kubesmith-flannel.conflist';
const SUBNET_ENV = '/run/flannel/subnet.env';
const VXLAN_DEVICE = 'flannel.1';

export interface FlannelLease {
  network: string;
  /** The Node's range, as flanneld writes it: its first address and the prefix length. */
  subnet: string;
  mtu: number;
}

/** A pod MTU the spec asks for that the network below cannot carry. */
export class PodMtuTooLargeError extends KubesmithError {
  readonly reason = 'MTUTooLarge';
  override readonly needsPerson = true;
}

export function parseSubnetEnv(text: string): FlannelLease | undefined {
  const values = new Map(
    text
      .split('\n')
      .map((line) => line.trim().split('='))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  const network = values.get('FLANNEL_NETWORK');
  const subnet = values.get('FLANNEL_SUBNET');
  const mtu = Number(values.get('FLANNEL_MTU'));
  if (!network || !subnet || !Number.isInteger(mtu) || mtu <= 0) return undefined;
  return { network, subnet, mtu };
}

/** flanneld's lease on this host, or undefined while it has not started there. */
export async function readFlannelLease(session: HostSession): Promise<FlannelLease | undefined> {
  const { stdout } = await session.exec(`cat ${SUBNET_ENV} 2>/dev/null`);
  return parseSubnetEnv(stdout);
}

/** Whether flanneld's lease is for the Node's podCIDR: flanneld writes the range's first address. */
export function leaseMatches(lease: FlannelLease, podCIDR: string): boolean {
  return lease.subnet === `${nthAddress(podCIDR, 1)}/${podCIDR.split('/')[1]}`;
}

/** Writes the host's CNI config from flanneld's lease; true when something changed. */
export async function convergeFlannelHost(
  session: HostSession,
  node: { name: string; podCIDR: string },
  lease: FlannelLease,
  clusterPodCIDR: string,
  specMtu: number | undefined,
): Promise<boolean> {
  if (specMtu !== undefined && specMtu > lease.mtu) {
    throw new PodMtuTooLargeError(
      `spec.mtu ${specMtu} is more than flannel can carry on Node ${node.name} (${lease.mtu}, from the host interface less the encapsulation); set spec.mtu to ${lease.mtu} or less, or remove it`,
    );
  }
  return convergePodBridge(session, { path: FLANNEL_CONFIG_PATH, name: 'kubesmith-flannel', subnet: node.podCIDR, mtu: specMtu ?? lease.mtu }, clusterPodCIDR);
}

/** Takes flannel's traces off the host; run once flanneld no longer runs there. */
export async function removeFlannelHost(session: HostSession): Promise<void> {
  await removePodBridge(session, FLANNEL_CONFIG_PATH);
  // host-gw routes are plain routes through the other hosts: those inside flannel's network go.
  await session.check(
    `net=$(sed -n 's/^FLANNEL_NETWORK=//p' ${SUBNET_ENV} 2>/dev/null); ` +
      `if [ -n "$net" ]; then ip route show root "$net" | grep ' via ' | while read -r dst rest; do ip route del "$dst"; done; fi; ` +
      `ip link delete ${VXLAN_DEVICE} 2>/dev/null; rm -rf /run/flannel; true`,
  );
}

// What the PKI and etcd phases need to know of each claimed host, taken from its MachineHost once,
// so the phases decide from facts, never from guesses.
import type { MachineHost } from '../../api/index.ts';
import { isIpAddress, type HostFacts } from '../../pki/index.ts';
import { KubesmithError } from '../../errors.ts';

export interface Member {
  host: MachineHost;
  /** MachineHost name. */
  name: string;
  /** Host name: Kubernetes node name and etcd member name. */
  hostname: string;
  /** The address etcd listens on and advertises to its peers and clients. */
  ip: string;
  arch: string;
  pki: HostFacts;
}

/** A host that cannot be a member yet, and why; reported on the condition of the phase that needs it. */
export class MemberFactsError extends KubesmithError {
  readonly reason = 'HostFactsIncomplete';
}

export function memberOf(host: MachineHost): Member {
  const name = host.metadata.name!;
  const hostname = host.spec.hostname ?? name;
  const ip = host.spec.internalIP ?? (isIpAddress(host.spec.address) ? host.spec.address : undefined);
  if (!ip) {
    throw new MemberFactsError(
      `MachineHost ${name} is addressed by the name ${host.spec.address}; set spec.internalIP to the address etcd should advertise`,
    );
  }
  const arch = host.status?.facts?.arch;
  if (!arch) throw new MemberFactsError(`MachineHost ${name} has no facts.arch yet; wait for it to become Ready`);
  return { host, name, hostname, ip, arch, pki: { name, hostname, ips: [ip] } };
}

/**
 * A held host as a member where its facts allow; otherwise a placeholder that only carries the host:
 * it never became a member, so nothing was installed on it and it is only given back.
 */
export function heldMember(host: MachineHost): Member {
  try {
    return memberOf(host);
  } catch (error) {
    if (!(error instanceof MemberFactsError)) throw error;
    const name = host.metadata.name!;
    return { host, name, hostname: host.spec.hostname ?? name, ip: '', arch: '', pki: { name, hostname: name, ips: [] } };
  }
}

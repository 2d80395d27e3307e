// HostsClaimed: the ControlPlane holds spec.replicas Ready MachineHosts whose facts let them be
// members, and knows its endpoint. A free host is claimed only once its facts qualify, so a host
// that can never be a member is never taken from another cluster's pool.
import type { ControlPlane, MachineHost } from '../../api/index.ts';
import type { Phase } from '../phases.ts';
import { API_SERVER_PORT } from './components/index.ts';
import { claimHost, planClaims, releaseHost, unqualified } from './claim.ts';
import { MemberFactsError, memberOf, type Member } from './members.ts';
import type { ControlPlaneScope, Endpoint } from './scope.ts';

function qualification(host: MachineHost): string | undefined {
  try {
    memberOf(host);
    return undefined;
  } catch (error) {
    if (error instanceof MemberFactsError) return error.message;
    throw error;
  }
}

/** `host:port` as kept in status; IPv6 hosts in brackets. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

export function parseEndpoint(text: string | undefined): Endpoint | undefined {
  const match = text ? /^\[?([^\]]+?)\]?:(\d+)$/.exec(text) : null;
  return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
}

/**
 * The endpoint a user named wins; otherwise the one chosen before (status) is kept, because every
 * certificate and kubeconfig names it; only the very first time is it the first member's address.
 */
function chooseEndpoint(cp: ControlPlane, members: readonly Member[]): Endpoint {
  if (cp.spec.endpoint) return cp.spec.endpoint;
  return parseEndpoint(cp.status?.endpoint) ?? { host: members[0]!.ip, port: API_SERVER_PORT };
}

/** The held host the kept endpoint points at, which stays first in member order and is never surplus. */
function endpointHost(cp: ControlPlane, hosts: readonly MachineHost[]): string | undefined {
  const kept = cp.spec.endpoint ?? parseEndpoint(cp.status?.endpoint);
  if (!kept) return undefined;
  return hosts.find((h) => h.status?.consumerRef?.name === cp.metadata.name && !qualification(h) && memberOf(h).ip === kept.host)?.metadata.name;
}

export const claimPhase: Phase<ControlPlaneScope> = {
  condition: 'HostsClaimed',
  needs: [],
  does: 'MachineHosts are claimed',
  async run(scope) {
    const { cp, deps } = scope;
    const hosts = deps.hosts.list();
    const qualifies = (h: MachineHost) => qualification(h) === undefined;
    const first = endpointHost(cp, hosts);
    const plan = planClaims(cp, hosts, { qualifies, ...(first ? { first } : {}) });
    const want = cp.spec.replicas;
    if (plan.missing > 0) {
      const refused = unqualified(cp, hosts, qualifies).map((h) => qualification(h));
      const why = refused.length > 0 ? `; not usable: ${refused.join('; ')}` : '';
      const message =
        `needs ${want} Ready MachineHost${want === 1 ? '' : 's'} in ${cp.metadata.namespace} matching spec.hostSelector and claimed by nobody else; ` +
        `${want - plan.missing} available, ${plan.missing} missing${why}`;
      return { status: 'False', reason: 'WaitingForHosts', message };
    }
    for (const host of plan.toClaim) {
      if (!(await claimHost(deps.client, cp, host))) {
        const message = `${host.metadata.name} was claimed by another owner at the same time; another host is picked on the next try`;
        return { status: 'False', reason: 'HostClaimedElsewhere', message };
      }
    }
    scope.members = plan.members.map(memberOf);
    scope.surplus = plan.surplus.map(memberOf);
    scope.endpoint = chooseEndpoint(cp, scope.members);
    scope.status.replicas = scope.members.length;
    scope.status.endpoint = formatEndpoint(scope.endpoint);
    const names = scope.members.map((m) => m.name).join(', ');
    const leaving = scope.surplus.length > 0 ? `; giving back ${scope.surplus.map((m) => m.name).join(', ')} once out of etcd` : '';
    return { status: 'True', reason: 'HostsClaimed', message: `claimed ${names}${leaving}` };
  },
  async teardown(scope) {
    await Promise.all(scope.members.map((m) => releaseHost(scope.deps.client, scope.cp, m.host, scope.cleanupPending)));
  },
};

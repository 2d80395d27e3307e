// etcdctl command lines run on a member's own host against its local client URL, and parsers of
// what they print. Going through SSH means only port 22 must be reachable from the management
// cluster. Reads use the healthcheck-client certificate; membership changes use the API server's
// etcd client certificate, as kubeadm does.
import { shellQuote } from '../../../host/index.ts';
import { KUBERNETES_DIR } from '../../../pki/index.ts';
import { CLIENT_PORT, ETCDCTL_BINARY } from './unit.ts';
import { KubesmithError } from '../../../errors.ts';

const PKI = `${KUBERNETES_DIR}/pki`;
const IDENTITIES = {
  healthcheck: `${PKI}/etcd/healthcheck-client`,
  admin: `${PKI}/apiserver-etcd-client`,
};

export function etcdctl(args: string, identity: keyof typeof IDENTITIES = 'healthcheck'): string {
  const cert = IDENTITIES[identity];
  return (
    `${ETCDCTL_BINARY} --endpoints=https://127.0.0.1:${CLIENT_PORT} --cacert=${PKI}/etcd/ca.crt ` +
    `--cert=${cert}.crt --key=${cert}.key --dial-timeout=5s --command-timeout=15s ${args}`
  );
}

/** etcdctl printed something other than what this version of kubesmith reads. */
export class EtcdOutputError extends KubesmithError {
  readonly reason = 'EtcdOutputUnreadable';
}

export interface EtcdMemberInfo {
  /** Hex member ID. */
  id: string;
  /** Empty for a member added but not started yet. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  learner: boolean;
}

// Not `--hex`: etcdctl 3.6 drops isLearner from the JSON it prints with it.
export const memberListCommand = etcdctl('member list -w json');

/** Member IDs are uint64, which JSON numbers lose; they are read as text and turned into hex. */
export function parseMemberList(stdout: string): EtcdMemberInfo[] {
  const parsed = JSON.parse(stdout.replace(/"(ID|cluster_id|member_id)":(\d+)/g, '"$1":"$2"')) as {
    members?: { ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }[];
  };
  return (parsed.members ?? []).map((m) => ({
    id: BigInt(m.ID).toString(16),
    name: m.name ?? '',
    peerURLs: m.peerURLs ?? [],
    clientURLs: m.clientURLs ?? [],
    learner: m.isLearner === true,
  }));
}

/** The ID of the cluster the answering member belongs to, in hex; undefined if the output has none. */
export function parseClusterId(stdout: string): string | undefined {
  const id = /"cluster_id":(\d+)/.exec(stdout)?.[1];
  return id === undefined ? undefined : BigInt(id).toString(16);
}

export function memberRemoveCommand(id: string): string {
  return etcdctl(`member remove ${shellQuote(id)}`, 'admin');
}

export function memberAddCommand(name: string, peerURL: string): string {
  return etcdctl(`member add ${shellQuote(name)} --peer-urls=${shellQuote(peerURL)} --learner`, 'admin');
}

/**
 * The new member's hex ID from what `member add` prints. etcdctl writes IDs with `%16x`, padded with
 * spaces: an ID below 2^60 (one in sixteen) comes after two spaces or more.
 */
export function parseAddedMemberId(stdout: string): string | undefined {
  return /^Member +([0-9a-f]+) added/m.exec(stdout)?.[1];
}

/** The initial cluster etcdctl prints after `member add`, as name/peer URL pairs. */
export function parseInitialCluster(stdout: string): { name: string; peerURL: string }[] {
  const line = /^ETCD_INITIAL_CLUSTER="([^"]*)"/m.exec(stdout)?.[1];
  if (line === undefined) throw new EtcdOutputError(`etcdctl member add printed no ETCD_INITIAL_CLUSTER: ${stdout.slice(0, 300)}`);
  return line.split(',').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), peerURL: pair.slice(eq + 1) };
  });
}

export function memberPromoteCommand(id: string): string {
  return etcdctl(`member promote ${shellQuote(id)}`, 'admin');
}

export const endpointHealthCommand = etcdctl('endpoint health -w json');

export interface EndpointHealth {
  healthy: boolean;
  error?: string;
}

/** etcdctl prints the JSON even when unhealthy (and exits non-zero); anything else is the error. */
export function parseEndpointHealth(stdout: string, stderr: string): EndpointHealth {
  try {
    const [entry] = JSON.parse(stdout) as { health: boolean; error?: string }[];
    if (entry) return entry.health ? { healthy: true } : { healthy: false, error: entry.error ?? 'unhealthy' };
  } catch {
    // Fall through to stderr: etcd was not reachable at all.
  }
  const line = stderr.trim().split('\n').at(-1) ?? '';
  return { healthy: false, error: line || 'no answer from etcd' };
}

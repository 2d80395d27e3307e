// Pure builders for what an etcd member needs on its host: the systemd unit, and the bootstrap
// environment a member reads the first time it starts. Kept apart because the unit must not change
// once written (a changed unit means a restart) while the initial cluster differs for every member
// that joins; etcd ignores the initial-* settings once its data directory holds a member.
import { KUBERNETES_DIR } from '../../pki/index.ts';
import { KubesmithError } from '../../errors.ts';

export const ETCD_UNIT_PATH = '/etc/systemd/system/etcd.service';
export const ETCD_BOOTSTRAP_ENV_PATH = '/etc/etcd/bootstrap.env';
export const ETCD_BINARY = '/usr/local/bin/etcd';
export const ETCDCTL_BINARY = '/usr/local/bin/etcdctl';
export const CLIENT_PORT = 2379;
export const PEER_PORT = 2380;
export const METRICS_PORT = 2381;

const PKI = `${KUBERNETES_DIR}/pki`;

export interface EtcdMemberPlan {
  name: string;
  ip: string;
  dataDir: string;
  /** Shared by the members of one cluster, so a member of another cluster is never let in. */
  clusterToken: string;
  extraArgs?: Readonly<Record<string, string>>;
}

export class ManagedFlagError extends KubesmithError {
  readonly reason = 'ManagedFlagConflict';
  override readonly needsPerson = true;
}

function urlHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export function peerURL(ip: string): string {
  return `https://${urlHost(ip)}:${PEER_PORT}`;
}

export function clientURL(ip: string): string {
  return `https://${urlHost(ip)}:${CLIENT_PORT}`;
}

/** The flags kubesmith sets, in a fixed order so the unit is byte-for-byte stable. */
export function etcdFlags(plan: EtcdMemberPlan): [string, string][] {
  const managed: [string, string][] = [
    ['name', plan.name],
    ['data-dir', plan.dataDir],
    ['listen-client-urls', `${clientURL(plan.ip)},https://127.0.0.1:${CLIENT_PORT}`],
    ['advertise-client-urls', clientURL(plan.ip)],
    ['listen-peer-urls', peerURL(plan.ip)],
    ['initial-advertise-peer-urls', peerURL(plan.ip)],
    ['initial-cluster-token', plan.clusterToken],
    ['listen-metrics-urls', `http://127.0.0.1:${METRICS_PORT}`],
    ['cert-file', `${PKI}/etcd/server.crt`],
    ['key-file', `${PKI}/etcd/server.key`],
    ['trusted-ca-file', `${PKI}/etcd/ca.crt`],
    ['client-cert-auth', 'true'],
    ['peer-cert-file', `${PKI}/etcd/peer.crt`],
    ['peer-key-file', `${PKI}/etcd/peer.key`],
    ['peer-trusted-ca-file', `${PKI}/etcd/ca.crt`],
    ['peer-client-cert-auth', 'true'],
    ['snapshot-count', '10000'],
  ];
  const extra = Object.entries(plan.extraArgs ?? {});
  const clashes = extra.map(([k]) => k).filter((k) => managed.some(([m]) => m === k) || k.startsWith('initial-cluster'));
  if (clashes.length > 0) {
    throw new ManagedFlagError(
      `spec.etcd.extraArgs sets ${clashes.join(', ')}, which kubesmith manages itself; remove ${clashes.length === 1 ? 'it' : 'them'}`,
    );
  }
  return [...managed, ...extra.sort(([a], [b]) => a.localeCompare(b))];
}

function quoteArg(value: string): string {
  return /^[A-Za-z0-9_./:,=@[\]-]+$/.test(value) ? value : `"${value.replace(/(["\\$])/g, '\\$1')}"`;
}

export function etcdUnit(plan: EtcdMemberPlan): string {
  const flags = etcdFlags(plan).map(([k, v]) => `  --${k}=${quoteArg(v)}`);
  return [
    '[Unit]',
    'Description=etcd member of the Kubernetes control plane (managed by kubesmith)',
    'Documentation=https://etcd.io/docs/',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=notify',
    `EnvironmentFile=-${ETCD_BOOTSTRAP_ENV_PATH}`,
    `ExecStart=${ETCD_BINARY} \\`,
    flags.join(' \\\n'),
    'Restart=always',
    'RestartSec=5s',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export interface InitialMember {
  name: string;
  peerURL: string;
}

/** What a member reads on its first start: who is in the cluster, and whether it is new. */
export function etcdBootstrapEnv(members: readonly InitialMember[], state: 'new' | 'existing'): string {
  const cluster = members.map((m) => `${m.name}=${m.peerURL}`).join(',');
  return `ETCD_INITIAL_CLUSTER=${cluster}\nETCD_INITIAL_CLUSTER_STATE=${state}\n`;
}

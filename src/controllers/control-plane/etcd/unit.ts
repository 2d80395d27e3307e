// Pure builders for what an etcd member needs on its host: the systemd unit, and the bootstrap
// environment a member reads the first time it starts. Kept apart because the unit must not change
// once written (a changed unit means a restart) while the initial cluster differs for every member
// that joins; etcd ignores the initial-* settings once its data directory holds a member.
import type { FileSpec } from '../../../host/index.ts';
import { KUBERNETES_DIR } from '../../../pki/index.ts';
import { withExtraArgs, type Flag } from '../../units/managed-flags.ts';
import { serviceUnit, unitPath } from '../../units/systemd-unit.ts';

export const ETCD_UNIT_PATH = unitPath('etcd');
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
export function etcdFlags(plan: EtcdMemberPlan): Flag[] {
  const managed: Flag[] = [
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
  return withExtraArgs(managed, {
    field: 'spec.etcd.extraArgs',
    args: plan.extraArgs,
    // The initial cluster is etcd's bootstrap environment, written per member by kubesmith.
    reserved: (name) => name.startsWith('initial-cluster'),
  });
}

/** Root only: the unit is where etcd's flags are, its "pod specification file" to the CIS benchmark (1.1.7). */
export const ETCD_UNIT_MODE = 0o600;

export function etcdUnitFile(plan: EtcdMemberPlan): FileSpec {
  return { path: ETCD_UNIT_PATH, mode: ETCD_UNIT_MODE, content: etcdUnit(plan) };
}

export function etcdUnit(plan: EtcdMemberPlan): string {
  return serviceUnit({
    description: 'etcd member of the Kubernetes control plane (managed by kubesmith)',
    documentation: 'https://etcd.io/docs/',
    after: ['network-online.target'],
    wants: ['network-online.target'],
    type: 'notify',
    environmentFile: ETCD_BOOTSTRAP_ENV_PATH,
    binary: ETCD_BINARY,
    flags: etcdFlags(plan),
  });
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

// The shape of a certificate set: what each CA, certificate and key pair is, where its files go and
// which hosts receive them. The set itself is data (see kubeadm-set.ts); generation, the per-host
// file set, verification and the expiry report all read it, so adding a certificate is one entry.
import { InvalidFactsError } from './errors.ts';

/** Facts about the cluster that SANs and kubeconfigs are built from. */
export interface ClusterFacts {
  /** Cluster name: prefix of the Cluster API Secrets and name of the cluster in kubeconfigs. */
  name: string;
  dnsDomain: string;
  /** Service range; its first address is the `kubernetes` Service IP. Dual-stack lists use the first. */
  serviceCIDR: string;
  /** Where clients reach the API server: VIP, load balancer or the first control-plane host. */
  endpoint: { host: string; port: number };
  /** Port kube-apiserver listens on on each control-plane host; 6443 when absent. */
  apiServerPort?: number;
  /** Further names or IPs for the API server certificate, as kubeadm's `apiServer.certSANs`. */
  extraAPIServerSANs?: readonly string[];
}

export type HostRole = 'control-plane' | 'worker';

/** Facts about one host, from its MachineHost. */
export interface HostFacts {
  /** MachineHost name, used in messages and as the key of per-host results. */
  name: string;
  /** Host name, which is also the Kubernetes node name and the etcd member name. */
  hostname: string;
  /** Addresses of the host; the first one is the address its API server and etcd advertise. */
  ips: readonly string[];
}

export interface ClusterScope {
  cluster: ClusterFacts;
}

export interface HostScope extends ClusterScope {
  host: HostFacts;
}

export interface Subject {
  commonName: string;
  organizations?: readonly string[];
}

export interface SubjectAltNames {
  dns: readonly string[];
  ips: readonly string[];
}

export type KeyUsageName = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
export type ExtKeyUsageName = 'serverAuth' | 'clientAuth';

/** Cluster API Secret suffix that holds a CA or the service-account key pair. */
export type SecretPurpose = 'ca' | 'etcd' | 'proxy' | 'sa';

export interface AuthoritySpec {
  kind: 'authority';
  name: string;
  description: string;
  /** Base path under the PKI directory: `<file>.crt` and `<file>.key`. */
  file: string;
  commonName: string;
  secret: SecretPurpose;
  keyUsages: readonly KeyUsageName[];
  /** Hosts that receive the CA certificate. */
  certificateOn: readonly HostRole[];
  /** Hosts that receive the CA private key; only those where a component signs with it. */
  keyOn: readonly HostRole[];
}

export interface KeyPairSpec {
  kind: 'key-pair';
  name: string;
  description: string;
  /** Base path under the PKI directory: `<file>.key` and `<file>.pub`. */
  file: string;
  secret: SecretPurpose;
  on: readonly HostRole[];
}

/** Where an issued certificate goes on a host. */
export type CertificateOutput =
  | { type: 'pki'; file: string }
  | {
      type: 'kubeconfig';
      /** File name under the Kubernetes configuration directory, for example `admin.conf`. */
      file: string;
      /** `endpoint`: the cluster endpoint; `local`: the API server on the same host, as kubeadm does. */
      server: 'endpoint' | 'local';
    };

interface CertificateSpecBase {
  kind: 'certificate';
  name: string;
  description: string;
  /** Name of the authority in the same set that signs it. */
  ca: string;
  output: CertificateOutput;
  keyUsages: readonly KeyUsageName[];
  extKeyUsages: readonly ExtKeyUsageName[];
  /** Hosts that receive it. A cluster-wide certificate may go to none and live only in a Secret. */
  on: readonly HostRole[];
}

/** One certificate for the whole cluster, such as the admin client certificate. */
export interface ClusterCertificateSpec extends CertificateSpecBase {
  scope: 'cluster';
  subject: (scope: ClusterScope) => Subject;
  sans?: (scope: ClusterScope) => SubjectAltNames;
}

/** One certificate per host, with that host's names. */
export interface HostCertificateSpec extends CertificateSpecBase {
  scope: 'host';
  subject: (scope: HostScope) => Subject;
  sans?: (scope: HostScope) => SubjectAltNames;
}

export type CertificateSpec = ClusterCertificateSpec | HostCertificateSpec;

export type PkiSpec = AuthoritySpec | KeyPairSpec | CertificateSpec;

/** Subject of a certificate in a given scope; a host certificate needs the host. */
export function subjectOf(spec: CertificateSpec, scope: ClusterScope | HostScope): Subject {
  return spec.scope === 'host' ? spec.subject(requireHost(spec, scope)) : spec.subject(scope);
}

export function sansOf(spec: CertificateSpec, scope: ClusterScope | HostScope): SubjectAltNames {
  if (spec.sans === undefined) return { dns: [], ips: [] };
  return spec.scope === 'host' ? spec.sans(requireHost(spec, scope)) : spec.sans(scope);
}

function requireHost(spec: CertificateSpec, scope: ClusterScope | HostScope): HostScope {
  if (!('host' in scope)) throw new InvalidFactsError(`${spec.name} is made per host; its scope needs host facts`);
  return scope;
}

/** `etcd/server on cp-1`, or just the name for a cluster-wide certificate; the start of messages. */
export function certificateLabel(name: string, host?: string): string {
  return host === undefined ? name : `${name} on ${host}`;
}

// Everything a cluster needs, derived from the certificate set: CAs (loaded when given, generated
// otherwise), the service-account key, cluster-wide and per-host certificates. Independent keys are
// made concurrently; WebCrypto runs key generation on libuv's thread pool.
import { generateAuthority, loadAuthority, type Authority, type AuthorityPem } from './authority.ts';
import type { CertificateSet } from './certificate-set.ts';
import { MissingMaterialError } from './errors.ts';
import {
  generateServiceAccountKey,
  issueCertificate,
  loadServiceAccountKey,
  type IssuedCertificate,
  type ServiceAccountKey,
} from './issue.ts';
import { kubeadmCertificateSet } from './kubeadm-set.ts';
import type { GenerationOptions } from './options.ts';
import type { CertificateSpec, ClusterFacts, ClusterScope, HostFacts, HostRole, HostScope } from './spec.ts';

export interface PlannedHost {
  host: HostFacts;
  role: HostRole;
}

export interface ClusterPki {
  authorities: Map<string, Authority>;
  serviceAccount: ServiceAccountKey;
  /** Cluster-wide certificates by spec name (admin, super-admin). */
  cluster: Map<string, IssuedCertificate>;
  /** Per-host certificates: MachineHost name, then spec name. */
  hosts: Map<string, Map<string, IssuedCertificate>>;
}

function authorityFor(spec: CertificateSpec, authorities: ReadonlyMap<string, Authority>): Authority {
  const authority = authorities.get(spec.ca);
  if (!authority) throw new MissingMaterialError(`${spec.name} needs CA ${spec.ca}, which was not loaded or generated`);
  return authority;
}

/** Loads each CA given as PEM (by CA name) and generates the others. */
export async function loadOrGenerateAuthorities(
  set: CertificateSet,
  existing: Readonly<Record<string, AuthorityPem | undefined>>,
  options?: GenerationOptions,
): Promise<Map<string, Authority>> {
  const loaded = await Promise.all(
    set.authorities.map((spec) => {
      const pem = existing[spec.name];
      if (!pem) return generateAuthority(spec, options);
      return loadAuthority(spec, pem, options?.now ? { now: options.now } : {});
    }),
  );
  return new Map(loaded.map((authority) => [authority.spec.name, authority]));
}

/** The certificates of one host for its role, keyed by spec name. */
export async function issueHostCertificates(
  set: CertificateSet,
  scope: HostScope,
  role: HostRole,
  authorities: ReadonlyMap<string, Authority>,
  options?: GenerationOptions,
): Promise<Map<string, IssuedCertificate>> {
  const specs = set.certificates.filter((spec) => spec.scope === 'host' && spec.on.includes(role));
  const issued = await Promise.all(specs.map((spec) => issueCertificate(spec, scope, authorityFor(spec, authorities), options)));
  return new Map(issued.map((cert) => [cert.spec.name, cert]));
}

/** The cluster-wide certificates, whether or not they go to hosts. */
export async function issueClusterCertificates(
  set: CertificateSet,
  scope: ClusterScope,
  authorities: ReadonlyMap<string, Authority>,
  options?: GenerationOptions,
): Promise<Map<string, IssuedCertificate>> {
  const specs = set.certificates.filter((spec) => spec.scope === 'cluster');
  const issued = await Promise.all(specs.map((spec) => issueCertificate(spec, scope, authorityFor(spec, authorities), options)));
  return new Map(issued.map((cert) => [cert.spec.name, cert]));
}

export interface ClusterPkiInput {
  cluster: ClusterFacts;
  hosts: readonly PlannedHost[];
  options?: GenerationOptions;
  /** Existing CAs by CA name, for example `{ ca: { certPem, keyPem } }` from the user's Secret. */
  authorities?: Readonly<Record<string, AuthorityPem | undefined>>;
  serviceAccount?: { keyPem: string; publicKeyPem?: string };
  /** kubeadm's set when absent. */
  set?: CertificateSet;
}

export async function generateClusterPki(input: ClusterPkiInput): Promise<ClusterPki> {
  const set = input.set ?? kubeadmCertificateSet;
  const [authorities, serviceAccount] = await Promise.all([
    loadOrGenerateAuthorities(set, input.authorities ?? {}, input.options),
    input.serviceAccount ? loadServiceAccountKey(input.serviceAccount) : generateServiceAccountKey(input.options),
  ]);
  const scope = { cluster: input.cluster };
  const [cluster, ...perHost] = await Promise.all([
    issueClusterCertificates(set, scope, authorities, input.options),
    ...input.hosts.map(({ host, role }) => issueHostCertificates(set, { ...scope, host }, role, authorities, input.options)),
  ]);
  const hosts = new Map(input.hosts.map(({ host }, i) => [host.name, perHost[i]!]));
  return { authorities, serviceAccount, cluster, hosts };
}

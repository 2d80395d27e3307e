// Cluster API's Secret conventions, so that clusterctl, Cluster API providers and people who know
// them find the CAs and the kubeconfig where they expect: `<cluster>-ca`, `<cluster>-etcd`,
// `<cluster>-proxy` and `<cluster>-sa` with tls.crt/tls.key, `<cluster>-kubeconfig` with value.
import type { V1Secret } from '@kubernetes/client-node';
import { loadAuthority, type Authority } from './authority.ts';
import { SecretDataError } from './errors.ts';
import { loadServiceAccountKey, type ServiceAccountKey } from './issue.ts';
import type { AuthoritySpec, SecretPurpose } from './spec.ts';

export const CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';
export const CLUSTER_SECRET_TYPE = 'cluster.x-k8s.io/secret';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';
export const KUBECONFIG_KEY = 'value';

export type ClusterSecretPurpose = SecretPurpose | 'kubeconfig';

export interface SecretTarget {
  cluster: string;
  namespace?: string;
}

export function clusterSecretName(cluster: string, purpose: ClusterSecretPurpose): string {
  return `${cluster}-${purpose}`;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function clusterSecret(target: SecretTarget, purpose: ClusterSecretPurpose, data: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: clusterSecretName(target.cluster, purpose),
      ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
      labels: { [CLUSTER_NAME_LABEL]: target.cluster },
    },
    type: CLUSTER_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  };
}

export function authoritySecret(target: SecretTarget, authority: Authority): V1Secret {
  return clusterSecret(target, authority.spec.secret, { [TLS_CERT_KEY]: authority.certPem, [TLS_KEY_KEY]: authority.keyPem });
}

/** As Cluster API does, tls.crt holds the public key, not a certificate: there is none. */
export function serviceAccountSecret(target: SecretTarget, key: ServiceAccountKey): V1Secret {
  return clusterSecret(target, 'sa', { [TLS_CERT_KEY]: key.publicKeyPem, [TLS_KEY_KEY]: key.keyPem });
}

export function kubeconfigSecret(target: SecretTarget, kubeconfig: string): V1Secret {
  return clusterSecret(target, 'kubeconfig', { [KUBECONFIG_KEY]: kubeconfig });
}

/** Decoded values of the given keys; throws SecretDataError naming every missing key. */
export function readSecretData<K extends string>(secret: V1Secret, keys: readonly K[]): Record<K, string> {
  const name = secret.metadata?.name ?? '(unnamed)';
  const data = secret.data ?? {};
  const text = (key: string): string | undefined => {
    const value = data[key] ?? secret.stringData?.[key];
    if (value === undefined) return undefined;
    return data[key] === undefined ? value : Buffer.from(value, 'base64').toString('utf8');
  };
  const missing = keys.filter((key) => !text(key));
  if (missing.length > 0) throw new SecretDataError(name, missing, keys);
  return Object.fromEntries(keys.map((key) => [key, text(key)!])) as Record<K, string>;
}

/** Reads a CA from `<cluster>-ca` (or a user's Secret with the same keys) and checks it can sign. */
export async function authorityFromSecret(
  spec: AuthoritySpec,
  secret: V1Secret,
  options: { now?: Date } = {},
): Promise<Authority> {
  const data = readSecretData(secret, [TLS_CERT_KEY, TLS_KEY_KEY]);
  return loadAuthority(
    spec,
    { certPem: data[TLS_CERT_KEY], keyPem: data[TLS_KEY_KEY] },
    { ...options, source: `Secret ${secret.metadata?.name ?? '(unnamed)'}` },
  );
}

export async function serviceAccountKeyFromSecret(secret: V1Secret): Promise<ServiceAccountKey> {
  const data = readSecretData(secret, [TLS_CERT_KEY, TLS_KEY_KEY]);
  return loadServiceAccountKey(
    { keyPem: data[TLS_KEY_KEY], publicKeyPem: data[TLS_CERT_KEY] },
    `Secret ${secret.metadata?.name ?? '(unnamed)'}`,
  );
}

export function kubeconfigFromSecret(secret: V1Secret): string {
  return readSecretData(secret, [KUBECONFIG_KEY])[KUBECONFIG_KEY];
}

// The cluster-wide PKI material kept in the management cluster, in Cluster API's Secrets: the CAs
// (`<name>-ca`, `<name>-etcd`, `<name>-proxy`) and the service-account key pair (`<name>-sa`). Each
// is made once and read back ever after; a CA the user supplies through spec.certificates.caSecretRef
// is copied into `<name>-ca` the first time, so tools that follow the conventions find it.
import type { V1Secret } from '@kubernetes/client-node';
import type { ControlPlane } from '../../api/index.ts';
import {
  authorityFromSecret,
  authoritySecret,
  clusterSecretName,
  generateAuthority,
  generateServiceAccountKey,
  kubeadmCertificateSet,
  serviceAccountKeyFromSecret,
  serviceAccountSecret,
  type Authority,
  type AuthoritySpec,
  type GenerationOptions,
  type ServiceAccountKey,
} from '../../pki/index.ts';
import { isConflict, isNotFound, type KubeClient } from '../../runtime/kube-client.ts';
import { apiVersionOf, resourcePath, secretResource } from '../../runtime/resources.ts';
import { controlPlaneResource } from '../resources.ts';
import {
  encryptionKeyFromSecret,
  encryptionKeySecret,
  encryptionSecretName,
  generateEncryptionKey,
  type EncryptionKey,
} from './components/encryption.ts';
import { KubesmithError } from '../../errors.ts';

export interface ClusterMaterial {
  authorities: Map<string, Authority>;
  serviceAccount: ServiceAccountKey;
  /** Secrets created by this call, for the Event that says so. */
  created: string[];
}

/** spec.certificates.caSecretRef names a Secret that is not there. */
export class CaSecretMissingError extends KubesmithError {
  readonly reason = 'CASecretMissing';
}

export function generationOptions(cp: ControlPlane): GenerationOptions {
  const { keyAlgorithm, validityDays, caValidityDays } = cp.spec.certificates;
  return { keyAlgorithm, validityDays, caValidityDays };
}

export async function getSecret(client: KubeClient, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await client.get<V1Secret>(resourcePath(secretResource, namespace, name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function ownedBy(cp: ControlPlane, secret: V1Secret): V1Secret {
  const owner = { apiVersion: apiVersionOf(controlPlaneResource), kind: 'ControlPlane', name: cp.metadata.name!, uid: cp.metadata.uid!, controller: true };
  return { ...secret, metadata: { ...secret.metadata, ownerReferences: [owner] } };
}

/** Marks the Secrets kubesmith makes, so that `kubectl get secrets -l app.kubernetes.io/managed-by=kubesmith` lists them. */
export const MANAGED_BY_LABELS = { 'app.kubernetes.io/managed-by': 'kubesmith' } as const;

/**
 * Creates the Secret unless it exists; returns the one that ended up stored, which is someone
 * else's when a concurrent writer got there first. These Secrets are read with GETs, never cached
 * (see key-secrets.ts), so one made by an older version, without the label, serves as well.
 */
export async function createOnce(client: KubeClient, namespace: string, secret: V1Secret): Promise<{ secret: V1Secret; created: boolean }> {
  const labelled = { ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, ...MANAGED_BY_LABELS } } };
  try {
    return { secret: await client.create<V1Secret>(resourcePath(secretResource, namespace), labelled), created: true };
  } catch (error) {
    if (!isConflict(error)) throw error;
    return { secret: (await getSecret(client, namespace, secret.metadata!.name!))!, created: false };
  }
}

async function authorityFor(client: KubeClient, cp: ControlPlane, spec: AuthoritySpec, created: string[]): Promise<Authority> {
  const namespace = cp.metadata.namespace!;
  const name = clusterSecretName(cp.metadata.name!, spec.secret);
  const stored = await getSecret(client, namespace, name);
  if (stored) return authorityFromSecret(spec, stored);
  let authority: Authority;
  const ref = spec.secret === 'ca' ? cp.spec.certificates.caSecretRef : undefined;
  if (ref) {
    const supplied = await getSecret(client, namespace, ref.name);
    if (!supplied) {
      throw new CaSecretMissingError(
        `Secret ${namespace}/${ref.name}, named by spec.certificates.caSecretRef, does not exist; create it with tls.crt and tls.key of the CA`,
      );
    }
    authority = await authorityFromSecret(spec, supplied);
  } else {
    authority = await generateAuthority(spec, generationOptions(cp));
  }
  const result = await createOnce(client, namespace, ownedBy(cp, authoritySecret({ cluster: cp.metadata.name!, namespace }, authority)));
  if (!result.created) return authorityFromSecret(spec, result.secret);
  created.push(name);
  return authority;
}

async function serviceAccountFor(client: KubeClient, cp: ControlPlane, created: string[]): Promise<ServiceAccountKey> {
  const namespace = cp.metadata.namespace!;
  const name = clusterSecretName(cp.metadata.name!, 'sa');
  const stored = await getSecret(client, namespace, name);
  if (stored) return serviceAccountKeyFromSecret(stored);
  const key = await generateServiceAccountKey(generationOptions(cp));
  const result = await createOnce(client, namespace, ownedBy(cp, serviceAccountSecret({ cluster: cp.metadata.name!, namespace }, key)));
  if (!result.created) return serviceAccountKeyFromSecret(result.secret);
  created.push(name);
  return key;
}

/** The CAs and service-account key of the cluster: read from their Secrets, made and stored the first time. */
export async function ensureClusterMaterial(client: KubeClient, cp: ControlPlane): Promise<ClusterMaterial> {
  const created: string[] = [];
  const [serviceAccount, ...authorities] = await Promise.all([
    serviceAccountFor(client, cp, created),
    ...kubeadmCertificateSet.authorities.map((spec) => authorityFor(client, cp, spec, created)),
  ]);
  return { authorities: new Map(authorities.map((a) => [a.spec.name, a])), serviceAccount, created };
}

/**
 * The key that encrypts the cluster's Secrets at rest, made once. A Secret that exists but holds no
 * usable key is reported (EncryptionKeyError), never replaced: the data written with it would be lost.
 * Unlike the CAs it has no owner reference: deleting the ControlPlane keeps etcd's data (moved aside
 * on each host), and without this key the Secrets in that data could never be read again.
 */
export async function ensureEncryptionKey(client: KubeClient, cp: ControlPlane): Promise<{ key: EncryptionKey; created: boolean }> {
  const namespace = cp.metadata.namespace!;
  const stored = await getSecret(client, namespace, encryptionSecretName(cp.metadata.name!));
  if (stored) return { key: encryptionKeyFromSecret(stored), created: false };
  const secret = encryptionKeySecret({ cluster: cp.metadata.name!, namespace }, generateEncryptionKey());
  const result = await createOnce(client, namespace, secret);
  return { key: encryptionKeyFromSecret(result.secret), created: result.created };
}

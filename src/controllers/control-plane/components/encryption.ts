// Secrets encrypted at rest in etcd (CIS 1.2.27): an EncryptionConfiguration whose first provider,
// secretbox, encrypts new writes, and whose identity provider still reads what was stored before.
// The key lives in the management cluster in `<cluster>-encryption`, next to the cluster's CAs, so
// every control-plane host gets the same one and a rebuilt host can read the data again. Losing it
// loses every Secret of the cluster, which is why a damaged Secret is reported, never replaced.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { KubesmithError } from '../../../errors.ts';
import {
  CLUSTER_NAME_LABEL,
  CLUSTER_SECRET_TYPE,
  KUBERNETES_DIR,
  SECRET_FILE_MODE,
  type SecretTarget,
} from '../../../pki/index.ts';

export const ENCRYPTION_CONFIG_PATH = `${KUBERNETES_DIR}/encryption-config.yaml`;
export const ENCRYPTION_CONFIG_MODE = SECRET_FILE_MODE;
/** Name of the key in the configuration, and of the Secret's data entry holding it. */
export const ENCRYPTION_KEY_NAME = 'key1';
export const SECRETBOX_KEY_BYTES = 32;

/** A secretbox key: 32 bytes, base64 as the EncryptionConfiguration takes it. */
export type EncryptionKey = string;

export class EncryptionKeyError extends KubesmithError {
  readonly reason = 'EncryptionKeyInvalid';
  override readonly needsPerson = true;
}

export function generateEncryptionKey(random: (size: number) => Uint8Array = randomBytes): EncryptionKey {
  return Buffer.from(random(SECRETBOX_KEY_BYTES)).toString('base64');
}

/** What is wrong with a key, or undefined when it is 32 bytes of canonical base64. */
function keyProblem(key: string): string | undefined {
  const bytes = Buffer.from(key, 'base64');
  if (bytes.toString('base64') !== key) return 'is not base64';
  if (bytes.length !== SECRETBOX_KEY_BYTES) return `holds ${bytes.length} bytes where secretbox needs ${SECRETBOX_KEY_BYTES}`;
  return undefined;
}

export function encryptionSecretName(cluster: string): string {
  return `${cluster}-encryption`;
}

/** The Secret's data entry is the key's raw bytes, so its base64 is the configuration's `secret` as it is. */
export function encryptionKeySecret(target: SecretTarget, key: EncryptionKey): V1Secret {
  const problem = keyProblem(key);
  if (problem) throw new EncryptionKeyError(`the encryption key for cluster ${target.cluster} ${problem}`);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: encryptionSecretName(target.cluster),
      ...(target.namespace === undefined ? {} : { namespace: target.namespace }),
      labels: { [CLUSTER_NAME_LABEL]: target.cluster },
    },
    type: CLUSTER_SECRET_TYPE,
    data: { [ENCRYPTION_KEY_NAME]: key },
  };
}

export function encryptionKeyFromSecret(secret: V1Secret): EncryptionKey {
  const name = secret.metadata?.name ?? '(unnamed)';
  const key = secret.data?.[ENCRYPTION_KEY_NAME];
  const problem = key === undefined || key === '' ? 'is missing' : keyProblem(key);
  if (key === undefined || problem) {
    throw new EncryptionKeyError(
      `Secret ${name}: "${ENCRYPTION_KEY_NAME}" ${problem}; it must hold the ${SECRETBOX_KEY_BYTES} random bytes that encrypt ` +
        `the cluster's Secrets at rest. Restore it from a backup of this Secret; only if the cluster's API server never ` +
        `ran with it, delete the Secret and kubesmith makes a new key`,
    );
  }
  return key;
}

export interface EncryptionConfiguration {
  apiVersion: 'apiserver.config.k8s.io/v1';
  kind: 'EncryptionConfiguration';
  resources: {
    resources: string[];
    providers: ({ secretbox: { keys: { name: string; secret: string }[] } } | { identity: Record<string, never> })[];
  }[];
}

export function encryptionConfiguration(key: EncryptionKey): EncryptionConfiguration {
  const problem = keyProblem(key);
  if (problem) throw new EncryptionKeyError(`the encryption key ${problem}`);
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [
      {
        resources: ['secrets'],
        providers: [{ secretbox: { keys: [{ name: ENCRYPTION_KEY_NAME, secret: key }] } }, { identity: {} }],
      },
    ],
  };
}

export function renderEncryptionConfig(key: EncryptionKey): string {
  return stringify(encryptionConfiguration(key), { lineWidth: 0 });
}

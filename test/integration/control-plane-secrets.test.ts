// The cluster's CA and service-account Secrets against the real API server: made once with Cluster
// API's names and reused after; a CA the user supplies is used and copied; a missing or unusable
// one is reported in words that say what to do.
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../src/api/index.ts';
import { CaSecretMissingError, ensureClusterMaterial } from '../../src/controllers/control-plane/cluster-secrets.ts';
import { AuthorityLoadError, authoritySecret, generateAuthority, kubeadmCertificateSet } from '../../src/pki/index.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import { resourcePath, secretResource } from '../../src/runtime/resources.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';

const kc = testKubeConfig();
const client = new KubeClient(kc);
let namespace: string;

beforeAll(async () => {
  namespace = await createNamespace(kc, 'cp-secrets');
});
afterAll(() => deleteNamespace(kc, namespace));

function controlPlane(name: string, caSecret?: string): ControlPlane {
  return {
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'ControlPlane',
    metadata: { name, namespace, uid: '00000000-0000-0000-0000-000000000001' },
    spec: {
      certificates: { validityDays: 365, caValidityDays: 3650, keyAlgorithm: 'ECDSAP256', ...(caSecret ? { caSecretRef: { name: caSecret } } : {}) },
    },
  } as unknown as ControlPlane;
}

const getSecret = (name: string) => client.get<V1Secret>(resourcePath(secretResource, namespace, name));
const caSpec = kubeadmCertificateSet.authorities.find((a) => a.name === 'ca')!;

describe('cluster Secrets of a ControlPlane', () => {
  it('creates the CAs and service-account key once, with Cluster API names, and reuses them after', async () => {
    const first = await ensureClusterMaterial(client, controlPlane('alpha'));
    expect(first.created.sort()).toEqual(['alpha-ca', 'alpha-etcd', 'alpha-proxy', 'alpha-sa']);
    const stored = await getSecret('alpha-etcd');
    expect(stored.type).toBe('cluster.x-k8s.io/secret');
    expect(stored.metadata?.labels?.['cluster.x-k8s.io/cluster-name']).toBe('alpha');
    expect(stored.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('kubesmith');
    expect(stored.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ControlPlane', name: 'alpha', controller: true });
    const again = await ensureClusterMaterial(client, controlPlane('alpha'));
    expect(again.created).toEqual([]);
    for (const name of ['ca', 'etcd/ca', 'front-proxy-ca']) {
      expect(again.authorities.get(name)!.certPem).toBe(first.authorities.get(name)!.certPem);
    }
    expect(again.serviceAccount.publicKeyPem).toBe(first.serviceAccount.publicKeyPem);
  });

  it('uses the CA of spec.certificates.caSecretRef and copies it into <name>-ca', async () => {
    const own = await generateAuthority(caSpec);
    await client.create(resourcePath(secretResource, namespace), { ...authoritySecret({ cluster: 'mine', namespace }, own), metadata: { name: 'company-ca' } });
    const material = await ensureClusterMaterial(client, controlPlane('beta', 'company-ca'));
    expect(material.authorities.get('ca')!.certPem).toBe(own.certPem);
    const copy = await getSecret('beta-ca');
    expect(Buffer.from(copy.data!['tls.crt']!, 'base64').toString()).toBe(own.certPem);
    expect(material.authorities.get('etcd/ca')!.certPem).not.toBe(own.certPem);
  });

  it('says which Secret is missing, and refuses a CA that cannot sign', async () => {
    const missing = await ensureClusterMaterial(client, controlPlane('gamma', 'no-such-secret')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CaSecretMissingError);
    expect((missing as Error).message).toBe(
      `Secret ${namespace}/no-such-secret, named by spec.certificates.caSecretRef, does not exist; create it with tls.crt and tls.key of the CA`,
    );
    const one = await generateAuthority(caSpec);
    const other = await generateAuthority(caSpec);
    await client.create(resourcePath(secretResource, namespace), {
      ...authoritySecret({ cluster: 'x', namespace }, { ...one, keyPem: other.keyPem }),
      metadata: { name: 'mismatched-ca' },
    });
    await expect(ensureClusterMaterial(client, controlPlane('delta', 'mismatched-ca'))).rejects.toBeInstanceOf(AuthorityLoadError);
  });
});

// Which Secrets the operator keeps in memory, against the real API server: only the SSH key Secrets
// MachineHosts name (labelled kubesmith.io/ssh-key when first read), never anyone else's; a key
// Secret created after its host is still found, and a change to a cached one reaches its host.
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySecretInformer, SSH_KEY_LABEL, type Secret } from '../../src/controllers/key-secrets.ts';
import { MERGE_PATCH } from '../../src/runtime/kube-client.ts';
import { resourcePath, secretResource } from '../../src/runtime/resources.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';
import { createKeySecret, createMachineHost, startMachineHostController, waitForCondition, type MachineHostEnv } from '../support/machine-host-env.ts';
import { waitFor } from '../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
let env: MachineHostEnv;
const privateKey = ssh2.utils.generateKeyPairSync('ed25519').private;

beforeAll(async () => {
  namespace = await createNamespace(kc, 'secret-cache');
  env = await startMachineHostController(kc, namespace);
});
afterAll(async () => {
  await env.stop();
  await deleteNamespace(kc, namespace);
});

/** A host that refuses at once (loopback port 1): reaching it means its key was read. */
function refusingHost(name: string, keySecret: string) {
  return createMachineHost(env.client, namespace, name, { address: '127.0.0.1' } as never, {
    port: 1,
    sshKeySecretRef: { name: keySecret, key: 'ssh-privatekey' },
  });
}

/** Reachable False for the connection, not for the key: the key was read and a connection tried. */
function waitForConnectionTried(name: string) {
  return waitFor(`${name} tried a connection`, async () => {
    const host = await waitForCondition(env.client, namespace, name, 'Reachable', 'False');
    const reachable = host.status!.conditions!.find((c) => c.type === 'Reachable')!;
    return !['SshKeySecretMissing', 'SshKeyInvalid'].includes(reachable.reason) && reachable.message.includes('127.0.0.1');
  }, 30_000, 200);
}

const getSecret = (name: string) => env.client.get<Secret>(resourcePath(secretResource, namespace, name));

describe("the operator's Secret cache", () => {
  it('holds the key Secrets MachineHosts name, labelled at first use, and no other Secret', async () => {
    // Someone else's Secret, as a Helm release is.
    await env.client.create(resourcePath(secretResource, namespace), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.app.v1', labels: { owner: 'helm' } },
      type: 'helm.sh/release.v1',
      stringData: { release: 'x'.repeat(10_240) },
    });
    await createKeySecret(env.client, namespace, 'key-a', privateKey);
    await refusingHost('a', 'key-a');
    await waitForConnectionTried('a');

    const cache = keySecretInformer(env.manager);
    expect(cache.labelSelector).toBe(SSH_KEY_LABEL);
    const cached = await waitFor('key-a in the cache', () => cache.get(`${namespace}/key-a`));
    expect(cached.metadata?.managedFields).toBeUndefined();
    expect((await getSecret('key-a')).metadata?.labels?.[SSH_KEY_LABEL]).toBe('true');
    expect(cache.get(`${namespace}/sh.helm.release.v1.app.v1`)).toBeUndefined();
    expect(cache.list().filter((s) => s.metadata?.namespace === namespace).map((s) => s.metadata?.name)).toEqual(['key-a']);
    // The Secret kept its content and the user's own metadata.
    expect((await getSecret('key-a')).type).toBe('kubernetes.io/ssh-auth');
  });

  it('finds a key Secret created after its MachineHost, without a label', async () => {
    await refusingHost('b', 'key-b');
    await waitForCondition(env.client, namespace, 'b', 'Reachable', 'False', 'SshKeySecretMissing');
    await createKeySecret(env.client, namespace, 'key-b', privateKey);
    await waitForConnectionTried('b');
    await waitFor('key-b in the cache', () => keySecretInformer(env.manager).get(`${namespace}/key-b`));
  });

  it('reconciles the host when its cached key Secret changes: an unusable key fixed is tried at once', async () => {
    await createKeySecret(env.client, namespace, 'key-c', 'not a key');
    await refusingHost('c', 'key-c');
    // An unusable key waits for a person and is not retried: only the Secret's change can wake the host.
    await waitForCondition(env.client, namespace, 'c', 'Reachable', 'False', 'SshKeyInvalid');
    await waitFor('key-c in the cache', () => keySecretInformer(env.manager).get(`${namespace}/key-c`));
    await env.client.patch(resourcePath(secretResource, namespace, 'key-c'), { stringData: { 'ssh-privatekey': privateKey } }, MERGE_PATCH);
    await waitForConnectionTried('c');
  });
});

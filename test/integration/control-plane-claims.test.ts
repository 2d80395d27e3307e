// Claiming against the real API server: a Ready MachineHost addressed by a DNS name has no address
// for etcd to advertise, so the ControlPlane does not take it and says to set spec.internalIP; once
// it is set, the host is claimed. Every address here is loopback: the host's SSH port is 1 (closed),
// so the phases after the claim fail with a local connection refused, and the artifact mirror is a
// closed loopback port too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type ControlPlane, type MachineHost } from '../../src/api/index.ts';
import { addControlPlaneController } from '../../src/controllers/control-plane/index.ts';
import { controlPlaneResource, machineHostResource } from '../../src/controllers/resources.ts';
import { MERGE_PATCH, isNotFound, type KubeClient } from '../../src/runtime/kube-client.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { resourcePath, secretResource } from '../../src/runtime/resources.ts';
import { KUBERNETES_VERSION } from '../support/control-plane-env.ts';
import { generateKeyPair } from '../support/hosts.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';
import { waitForObjectCondition } from '../support/object-conditions.ts';
import { waitFor } from '../support/wait.ts';

const kc = testKubeConfig();
const HOST = 'dns-host';
const CP = 'claims';
let namespace: string;
let manager: Manager;
let client: KubeClient;
const metrics = new Metrics(false);

beforeAll(async () => {
  namespace = await createNamespace(kc, 'cp-claims');
  const log = createLogger('test');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  manager = new Manager({ kubeConfig: kc, log, identity: 'claims-test', namespace, metrics });
  addControlPlaneController(manager, { retryMs: 500 });
  client = manager.client;
  await manager.start();
});

afterAll(async () => {
  // Deleting the ControlPlane runs its finalizer while the controller still runs, giving the host back.
  await client?.delete(resourcePath(controlPlaneResource, namespace, CP)).catch(() => {});
  await waitFor('the ControlPlane to be gone', () => getControlPlane().then(() => false, (e: unknown) => isNotFound(e)), 60_000, 200).catch(
    (error: unknown) => console.warn(String(error)),
  );
  await manager?.shutdown();
  if (namespace) await deleteNamespace(kc, namespace);
});

const getControlPlane = () => client.get<ControlPlane>(resourcePath(controlPlaneResource, namespace, CP));
const getHost = () => client.get<MachineHost>(resourcePath(machineHostResource, namespace, HOST));
const waitForClaimCondition = (status: string, reason: string) =>
  waitForObjectCondition(getControlPlane, CP, 'HostsClaimed', status, reason, 60_000, 100);

/** ControlPlane reconciles finished so far, whatever their result. */
async function reconciles(): Promise<number> {
  const { values } = await metrics.reconcileTotal.get();
  return values.filter((v) => v.labels.controller === 'controlplane').reduce((sum, v) => sum + v.value, 0);
}

/** A MachineHost the controller would connect to (key Secret, pinned host key) on a closed loopback port. */
async function createReadyHost(): Promise<void> {
  await client.create(resourcePath(secretResource, namespace), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'ssh-key' },
    stringData: { id: generateKeyPair().privateKey },
  });
  await client.create(resourcePath(machineHostResource, namespace), {
    apiVersion: API_VERSION,
    kind: 'MachineHost',
    metadata: { name: HOST, labels: { role: 'control-plane' } },
    spec: {
      address: 'localhost',
      port: 1,
      user: 'root',
      sshKeySecretRef: { name: 'ssh-key', key: 'id' },
      hostKey: generateKeyPair('host key').publicKey,
    },
  });
  // No MachineHost controller runs here: the status it would write after checking the host.
  const ready = { type: 'Ready', status: 'True', reason: 'Ready', message: 'checked and prepared', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  await client.patch(resourcePath(machineHostResource, namespace, HOST, 'status'), { status: { conditions: [ready], facts: { arch: 'amd64' } } }, MERGE_PATCH);
}

describe('claiming a MachineHost addressed by a DNS name', () => {
  it('is refused until spec.internalIP is set, with a message that says so, then claimed', async () => {
    await createReadyHost();
    await client.create(resourcePath(controlPlaneResource, namespace), {
      apiVersion: API_VERSION,
      kind: 'ControlPlane',
      metadata: { name: CP },
      spec: {
        version: KUBERNETES_VERSION,
        hostSelector: { matchLabels: { role: 'control-plane' } },
        replicas: 1,
        artifacts: { baseURL: 'http://127.0.0.1:1/kubernetes' },
        certificates: { keyAlgorithm: 'ECDSAP256' },
      },
    });

    const waiting = await waitForClaimCondition('False', 'WaitingForHosts');
    const message = waiting.status!.conditions!.find((c) => c.type === 'HostsClaimed')!.message;
    expect(message).toContain(`0 available, 1 missing; not usable: MachineHost ${HOST} is addressed by the name localhost`);
    expect(message).toContain('set spec.internalIP');
    // The reconcile that wrote the condition had already decided on claims; two more leave no doubt.
    const seen = await reconciles();
    await waitFor('two more ControlPlane reconciles', async () => (await reconciles()) >= seen + 2, 30_000, 100);
    expect((await getHost()).status?.consumerRef).toBeUndefined();
    expect((await getControlPlane()).status?.replicas).toBeUndefined();

    await client.patch(resourcePath(machineHostResource, namespace, HOST), { spec: { internalIP: '127.0.0.1' } }, MERGE_PATCH);
    const claimed = await waitForClaimCondition('True', 'HostsClaimed');
    expect(claimed.status!.conditions!.find((c) => c.type === 'HostsClaimed')!.message).toBe(`claimed ${HOST}`);
    expect(claimed.status?.endpoint).toBe('127.0.0.1:6443');
    expect((await getHost()).status?.consumerRef).toEqual({ kind: 'ControlPlane', name: CP });
  });
});

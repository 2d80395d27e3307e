// A whole cluster's test world: control-plane and worker hosts as Ready MachineHosts, every
// controller in this process, the artifact mirror, and on the hosts' network the image registry and
// the hosts' upstream DNS server.
import type { ControlPlane, NetworkAddon, WorkerPool } from '../../src/api/index.ts';
import { API_VERSION } from '../../src/api/index.ts';
import { machineHostResource, networkAddonResource, workerPoolResource } from '../../src/controllers/resources.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { resourcePath } from '../../src/runtime/resources.ts';
import { createControlPlane, startControlPlaneEnv, type ControlPlaneEnv } from './control-plane-env.ts';
import { gatewayOf, startHosts, type TestHost, type TestHosts } from './hosts.ts';
import { startImageRegistry, type ImageRegistry } from './image-registry.ts';
import { OUTSIDE_NAME, startUpstreamDns, type UpstreamDns } from './upstream-dns.ts';

export { OUTSIDE_NAME };
import { createKeySecret, createMachineHost, waitForCondition } from './machine-host-env.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from './kube.ts';
import { waitForObjectCondition } from './object-conditions.ts';

export interface ClusterWorld {
  namespace: string;
  test: TestHosts;
  env: ControlPlaneEnv;
  registry: ImageRegistry;
  /** The hosts' resolver; it knows OUTSIDE_NAME. */
  dns: UpstreamDns;
  /** MachineHost name to test host: `cp-1`…, `w-1`…. */
  hosts: Map<string, TestHost>;
  stop(): Promise<void>;
}

async function labelHost(client: KubeClient, namespace: string, name: string, role: string): Promise<void> {
  await client.patch(resourcePath(machineHostResource, namespace, name), { metadata: { labels: { role } } }, 'application/merge-patch+json');
}

/**
 * The key Secret and a MachineHost per test host: the first `controlPlanes` named `cp-N` and
 * labelled role=control-plane, the rest `w-N` and role=worker; returns their names once all are Ready.
 */
export async function registerClusterHosts(client: KubeClient, namespace: string, test: TestHosts, controlPlanes: number, timeoutMs?: number): Promise<string[]> {
  await createKeySecret(client, namespace, 'ssh-key', test.keyPair.privateKey);
  const names = test.hosts.map((_, i) => (i < controlPlanes ? `cp-${i + 1}` : `w-${i - controlPlanes + 1}`));
  await Promise.all(
    test.hosts.map(async (h, i) => {
      await createMachineHost(client, namespace, names[i]!, h);
      await labelHost(client, namespace, names[i]!, i < controlPlanes ? 'control-plane' : 'worker');
    }),
  );
  await Promise.all(names.map((n) => waitForCondition(client, namespace, n, 'Ready', 'True', undefined, timeoutMs)));
  return names;
}

/** `controlPlanes` hosts labelled role=control-plane (`cp-N`) and `workers` labelled role=worker (`w-N`), all Ready. */
export async function readyClusterHosts(prefix: string, controlPlanes: number, workers: number): Promise<ClusterWorld> {
  const kc = testKubeConfig();
  const namespace = await createNamespace(kc, `cl-${prefix}`);
  const [test, env] = await Promise.all([startHosts(controlPlanes + workers, { prefix }), startControlPlaneEnv(kc, namespace)]);
  const gateway = await gatewayOf(test.network);
  const [registry, dns] = await Promise.all([startImageRegistry(gateway), startUpstreamDns(gateway, { [OUTSIDE_NAME.name]: OUTSIDE_NAME.address })]);
  const names = await registerClusterHosts(env.client, namespace, test, controlPlanes);
  return {
    namespace,
    test,
    env,
    registry,
    dns,
    hosts: new Map(names.map((n, i) => [n, test.hosts[i]!])),
    stop: async () => {
      await env.stop();
      await registry.stop();
      await dns.stop();
      await test.stop();
      await deleteNamespace(kc, namespace);
    },
  };
}

/** A ControlPlane whose images come from the test registry, which is also the mirror of docker.io. */
export async function createTestControlPlane(world: ClusterWorld, name: string, spec: Partial<ControlPlane['spec']> = {}): Promise<void> {
  const registry = `http://${world.registry.host}`;
  await createControlPlane(world.env.client, world.namespace, name, {
    artifacts: { baseURL: world.env.mirror.baseURL, checksumPolicy: 'Required' },
    imageRepository: `${world.registry.host}/kubesmith`,
    registryMirrors: [
      { registry: world.registry.host, endpoints: [registry] },
      { registry: 'docker.io', endpoints: [registry] },
    ],
    ...spec,
  });
}

export async function createWorkerPool(client: KubeClient, namespace: string, name: string, spec: Partial<WorkerPool['spec']> & { controlPlaneRef: { name: string } }): Promise<void> {
  await client.create(resourcePath(workerPoolResource, namespace), {
    apiVersion: API_VERSION,
    kind: 'WorkerPool',
    metadata: { name },
    spec: { hostSelector: { matchLabels: { role: 'worker' } }, ...spec },
  });
}

export async function createNetworkAddon(client: KubeClient, namespace: string, name: string, spec: Partial<NetworkAddon['spec']> & { controlPlaneRef: { name: string } }): Promise<void> {
  await client.create(resourcePath(networkAddonResource, namespace), { apiVersion: API_VERSION, kind: 'NetworkAddon', metadata: { name }, spec: { provider: 'bridge', ...spec } });
}

export function getWorkerPool(client: KubeClient, namespace: string, name: string): Promise<WorkerPool> {
  return client.get<WorkerPool>(resourcePath(workerPoolResource, namespace, name));
}

export function waitForWorkerPool(client: KubeClient, namespace: string, name: string, type: string, status: string, reason?: string, timeoutMs = 240_000): Promise<WorkerPool> {
  return waitForObjectCondition(() => getWorkerPool(client, namespace, name), name, type, status, reason, timeoutMs, 250);
}

export function waitForNetworkAddon(client: KubeClient, namespace: string, name: string, type: string, status: string, reason?: string, timeoutMs = 240_000): Promise<NetworkAddon> {
  return waitForObjectCondition(
    () => client.get<NetworkAddon>(resourcePath(networkAddonResource, namespace, name)),
    name,
    type,
    status,
    reason,
    timeoutMs,
    250,
  );
}

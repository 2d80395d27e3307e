// A MachineHost controller in this process, watching one namespace, over real test hosts.
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, type MachineHost } from '../../src/api/index.ts';
import { addMachineHostController, type MachineHostControllerOptions } from '../../src/controllers/machine-host/index.ts';
import { machineHostResource } from '../../src/controllers/resources.ts';
import type { SshPool } from '../../src/host/index.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { eventResource, resourcePath, secretResource } from '../../src/runtime/resources.ts';
import { startHosts, type TestHost, type TestHosts } from './hosts.ts';
import { createNamespace, deleteNamespace } from './kube.ts';
import { nudgeObject, waitForObjectCondition } from './object-conditions.ts';

export interface MachineHostEnv {
  manager: Manager;
  pool: SshPool;
  client: KubeClient;
  stop(): Promise<void>;
}

export async function startMachineHostController(
  kc: KubeConfig,
  namespace: string,
  options: MachineHostControllerOptions = {},
): Promise<MachineHostEnv> {
  const log = createLogger('e2e');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  const manager = new Manager({ kubeConfig: kc, log, identity: 'e2e', namespace, metrics: new Metrics(false) });
  const pool = addMachineHostController(manager, { retryMs: 500, ...options });
  await manager.start();
  return { manager, pool, client: manager.client, stop: () => manager.shutdown() };
}

export interface HostWorld {
  namespace: string;
  test: TestHosts;
  env: MachineHostEnv;
  stop(): Promise<void>;
}

/** A fresh namespace, `count` test hosts, the MachineHost controller and the hosts' key in Secret `ssh-key`. */
export async function hostsWithController(
  kc: KubeConfig,
  names: { namespace: string; hosts: string },
  count: number,
  options: MachineHostControllerOptions = {},
): Promise<HostWorld> {
  const namespace = await createNamespace(kc, names.namespace);
  const [test, env] = await Promise.all([startHosts(count, { prefix: names.hosts }), startMachineHostController(kc, namespace, options)]);
  await createKeySecret(env.client, namespace, 'ssh-key', test.keyPair.privateKey);
  return {
    namespace,
    test,
    env,
    stop: async () => {
      await env.stop();
      await test.stop();
      await deleteNamespace(kc, namespace);
    },
  };
}

export async function createKeySecret(client: KubeClient, namespace: string, name: string, privateKey: string): Promise<void> {
  await client.create(resourcePath(secretResource, namespace), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/ssh-auth',
    stringData: { 'ssh-privatekey': privateKey },
  });
}

export async function createMachineHost(
  client: KubeClient,
  namespace: string,
  name: string,
  host: TestHost,
  spec: Partial<MachineHost['spec']> = {},
): Promise<void> {
  await client.create(resourcePath(machineHostResource, namespace), {
    apiVersion: API_VERSION,
    kind: 'MachineHost',
    metadata: { name },
    spec: { address: host.address, user: 'root', sshKeySecretRef: { name: 'ssh-key', key: 'ssh-privatekey' }, ...spec },
  });
}

export function getMachineHost(client: KubeClient, namespace: string, name: string): Promise<MachineHost> {
  return client.get<MachineHost>(resourcePath(machineHostResource, namespace, name));
}

export function condition(host: MachineHost, type: string) {
  return host.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the condition has the status (and reason, if given); returns the host. */
export function waitForCondition(
  client: KubeClient,
  namespace: string,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 90_000,
): Promise<MachineHost> {
  return waitForObjectCondition(() => getMachineHost(client, namespace, name), name, type, status, reason, timeoutMs, 100);
}

export interface EventView {
  reason: string;
  type: string;
  note: string;
  regarding: { name: string };
  series?: { count: number };
}

export async function eventsFor(client: KubeClient, namespace: string, name: string): Promise<EventView[]> {
  const { items } = await client.list<EventView>(resourcePath(eventResource, namespace));
  return items.filter((e) => e.regarding.name === name);
}

export function nudge(client: KubeClient, namespace: string, name: string): Promise<void> {
  return nudgeObject(client, machineHostResource, namespace, name);
}

// A Manager with one test controller over MachineHosts of one namespace, for runtime tests.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION } from '../../src/api/index.ts';
import { machineHostResource } from '../../src/controllers/resources.ts';
import type { Reconciler, Watch } from '../../src/runtime/controller.ts';
import type { Informer } from '../../src/runtime/informer.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { resourcePath } from '../../src/runtime/resources.ts';
import type { RateLimit } from '../../src/runtime/work-queue.ts';

export interface Harness {
  manager: Manager;
  informer: Informer;
  stop(): Promise<void>;
}

export async function startHarness(
  kc: KubeConfig,
  namespace: string,
  reconcile: (informer: Informer, manager: Manager) => Reconciler,
  options: { concurrency?: number; rateLimit?: RateLimit; watches?: (manager: Manager, informer: Informer) => Watch[] } = {},
): Promise<Harness> {
  const log = createLogger('test');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  const manager = new Manager({ kubeConfig: kc, log, identity: 'test', namespace, metrics: new Metrics(false) });
  const informer = manager.informer(machineHostResource);
  manager.addController({
    name: 'test',
    primary: informer,
    reconcile: reconcile(informer, manager),
    concurrency: options.concurrency,
    rateLimit: options.rateLimit,
    watches: options.watches?.(manager, informer),
  });
  await manager.start();
  return { manager, informer, stop: () => manager.shutdown() };
}

// Loopback, and a key Secret that does not exist: a MachineHost controller watching these never connects anywhere.
export function hostObject(namespace: string, name: string, address = '127.0.0.1'): KubernetesObject & { spec: object } {
  return {
    apiVersion: API_VERSION,
    kind: 'MachineHost',
    metadata: { name, namespace },
    spec: { address, user: 'root', sshKeySecretRef: { name: 'ssh', key: 'id' } },
  };
}

/** Direct access to MachineHosts, bypassing any informer. */
export function hosts(kc: KubeConfig, namespace: string) {
  const client = new KubeClient(kc);
  const path = (name?: string) => resourcePath(machineHostResource, namespace, name);
  return {
    client,
    create: (name: string, address?: string) => client.create<KubernetesObject>(path(), hostObject(namespace, name, address)),
    get: (name: string) => client.get<KubernetesObject & { spec: { address: string }; status?: Record<string, unknown> }>(path(name)),
    setAddress: (name: string, address: string) =>
      client.patch(path(name), { spec: { address } }, 'application/merge-patch+json'),
    label: (name: string, labels: Record<string, string>) =>
      client.patch(path(name), { metadata: { labels } }, 'application/merge-patch+json'),
    delete: (name: string) => client.delete(path(name)),
  };
}

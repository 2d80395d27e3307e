import type { ControlPlane, MachineHost, NetworkAddon, WorkerPool } from '../../api/index.ts';
import type { SshPool } from '../../host/index.ts';
import type { Manager } from '../../runtime/manager.ts';
import { objectKey } from '../../runtime/resources.ts';
import { controlPlaneResource, machineHostResource, networkAddonResource, workerPoolResource } from '../resources.ts';
import { keySecretInformer } from '../key-secrets.ts';
import { ownPool } from '../ssh-pool.ts';
import { reconcileNetworkAddon } from './reconciler.ts';

export interface NetworkAddonControllerOptions {
  recheckIntervalMs?: number;
  retryMs?: number;
  pool?: SshPool;
}

/** Registers the NetworkAddon controller; returns its SSH pool. */
export function addNetworkAddonController(manager: Manager, options: NetworkAddonControllerOptions = {}): SshPool {
  const networkAddons = manager.informer<NetworkAddon>(networkAddonResource);
  const controlPlanes = manager.informer<ControlPlane>(controlPlaneResource);
  const workerPools = manager.informer<WorkerPool>(workerPoolResource);
  const hosts = manager.informer<MachineHost>(machineHostResource);
  const secrets = keySecretInformer(manager);
  const pool = options.pool ?? ownPool(manager);
  const deps = {
    client: manager.client,
    networkAddons,
    controlPlanes,
    workerPools,
    hosts,
    secrets,
    pool,
    events: manager.events('networkaddon'),
    recheckIntervalMs: options.recheckIntervalMs ?? 5 * 60_000,
    retryMs: options.retryMs ?? 15_000,
  };
  const addonsOf = (namespace: string | undefined, cpName: string | undefined) =>
    networkAddons
      .list()
      .filter((a) => a.metadata.namespace === namespace && a.spec.controlPlaneRef.name === cpName)
      .map(objectKey);
  manager.addController({
    name: 'networkaddon',
    primary: networkAddons,
    concurrency: 2,
    watches: [
      { informer: controlPlanes, map: (cp: ControlPlane) => addonsOf(cp.metadata.namespace, cp.metadata.name) },
      // A pool's status lists its Nodes: a Node that joins or leaves changes the routes.
      { informer: workerPools, map: (wp: WorkerPool) => addonsOf(wp.metadata.namespace, wp.spec.controlPlaneRef.name) },
    ],
    reconcile: (key, ctx) => reconcileNetworkAddon(deps, key, ctx),
  });
  return pool;
}

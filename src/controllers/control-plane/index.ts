import type { ControlPlane, MachineHost, NetworkAddon, WorkerPool } from '../../api/index.ts';
import { ArtifactCache, type ArtifactCacheOptions } from '../../artifacts/index.ts';
import type { SshPool } from '../../host/index.ts';
import { keySecretInformer } from '../key-secrets.ts';
import { ownPool } from '../ssh-pool.ts';
import type { Manager } from '../../runtime/manager.ts';
import { objectKey } from '../../runtime/resources.ts';
import { matchesSelector } from '../label-selector.ts';
import { controlPlaneResource, machineHostResource, networkAddonResource, workerPoolResource } from '../resources.ts';
import { ownsHost } from './claim.ts';
import { reconcileControlPlane } from './reconciler.ts';

export interface ControlPlaneControllerOptions {
  recheckIntervalMs?: number;
  retryMs?: number;
  /** A pool shared with other controllers, so each host has one connection; one of its own when absent. */
  pool?: SshPool;
  /** A cache shared with the other controllers, or the options of one of its own. */
  artifacts?: ArtifactCacheOptions | ArtifactCache;
  concurrency?: number;
}

/** A MachineHost change concerns the ControlPlanes that hold it or could claim it. */
function controlPlanesForHost(controlPlanes: { list(): ControlPlane[] }) {
  return (host: MachineHost): string[] =>
    controlPlanes
      .list()
      .filter((cp) => cp.metadata.namespace === host.metadata.namespace)
      .filter((cp) => ownsHost(cp, host) || (!host.status?.consumerRef && matchesSelector(cp.spec.hostSelector, host.metadata.labels)))
      .map(objectKey);
}

/** Registers the ControlPlane controller; returns its SSH pool, whose counters show what it cost. */
export function addControlPlaneController(manager: Manager, options: ControlPlaneControllerOptions = {}): SshPool {
  const controlPlanes = manager.informer<ControlPlane>(controlPlaneResource);
  const hosts = manager.informer<MachineHost>(machineHostResource);
  const secrets = keySecretInformer(manager);
  const networkAddons = manager.informer<NetworkAddon>(networkAddonResource);
  const workerPools = manager.informer<WorkerPool>(workerPoolResource);
  const pool = options.pool ?? ownPool(manager);
  const deps = {
    client: manager.client,
    controlPlanes,
    hosts,
    secrets,
    networkAddons,
    pool,
    artifacts: options.artifacts instanceof ArtifactCache ? options.artifacts : new ArtifactCache(options.artifacts),
    events: manager.events('controlplane'),
    recheckIntervalMs: options.recheckIntervalMs ?? 5 * 60_000,
    retryMs: options.retryMs ?? 15_000,
  };
  manager.addController({
    name: 'controlplane',
    primary: controlPlanes,
    concurrency: options.concurrency ?? 4,
    watches: [
      { informer: hosts, map: controlPlanesForHost(controlPlanes) },
      // CoreDNS waits for Nodes with a pod network: the add-on and the pools say when they have one.
      { informer: networkAddons, map: (a: NetworkAddon) => [`${a.metadata.namespace}/${a.spec.controlPlaneRef.name}`] },
      { informer: workerPools, map: (wp: WorkerPool) => [`${wp.metadata.namespace}/${wp.spec.controlPlaneRef.name}`] },
    ],
    reconcile: (key, ctx) => reconcileControlPlane(deps, key, ctx),
  });
  return pool;
}

import type { ControlPlane, MachineHost, WorkerPool } from '../../api/index.ts';
import { ArtifactCache, type ArtifactCacheOptions } from '../../artifacts/index.ts';
import type { SshPool } from '../../host/index.ts';
import type { Manager } from '../../runtime/manager.ts';
import { objectKey } from '../../runtime/resources.ts';
import { holds } from '../host-claims.ts';
import { matchesSelector } from '../label-selector.ts';
import { controlPlaneResource, machineHostResource, workerPoolResource } from '../resources.ts';
import { keySecretInformer } from '../key-secrets.ts';
import { ownPool } from '../ssh-pool.ts';
import { reconcileWorkerPool } from './reconciler.ts';

export interface WorkerPoolControllerOptions {
  recheckIntervalMs?: number;
  retryMs?: number;
  drainTimeoutMs?: number;
  pool?: SshPool;
  /** A cache shared with the other controllers (one download and unpack per artifact), or the options of one of its own. */
  artifacts?: ArtifactCacheOptions | ArtifactCache;
  concurrency?: number;
}

/** Registers the WorkerPool controller; returns its SSH pool. */
export function addWorkerPoolController(manager: Manager, options: WorkerPoolControllerOptions = {}): SshPool {
  const workerPools = manager.informer<WorkerPool>(workerPoolResource);
  const controlPlanes = manager.informer<ControlPlane>(controlPlaneResource);
  const hosts = manager.informer<MachineHost>(machineHostResource);
  const secrets = keySecretInformer(manager);
  const pool = options.pool ?? ownPool(manager);
  const deps = {
    client: manager.client,
    workerPools,
    controlPlanes,
    hosts,
    secrets,
    pool,
    artifacts: options.artifacts instanceof ArtifactCache ? options.artifacts : new ArtifactCache(options.artifacts),
    events: manager.events('workerpool'),
    recheckIntervalMs: options.recheckIntervalMs ?? 5 * 60_000,
    retryMs: options.retryMs ?? 15_000,
    drainTimeoutMs: options.drainTimeoutMs ?? 10 * 60_000,
    staged: new Map<string, string>(),
  };
  const inNamespace = (ns: string | undefined) => workerPools.list().filter((wp) => wp.metadata.namespace === ns);
  manager.addController({
    name: 'workerpool',
    primary: workerPools,
    concurrency: options.concurrency ?? 4,
    watches: [
      {
        informer: hosts,
        map: (host: MachineHost) =>
          inNamespace(host.metadata.namespace)
            .filter((wp) => holds({ kind: 'WorkerPool', name: wp.metadata.name! }, host) || (!host.status?.consumerRef && matchesSelector(wp.spec.hostSelector, host.metadata.labels)))
            .map(objectKey),
      },
      {
        informer: controlPlanes,
        map: (cp: ControlPlane) => inNamespace(cp.metadata.namespace).filter((wp) => wp.spec.controlPlaneRef.name === cp.metadata.name).map(objectKey),
      },
    ],
    reconcile: (key, ctx) => reconcileWorkerPool(deps, key, ctx),
  });
  return pool;
}

// Every kubesmith controller in this process, watching one namespace, over real test hosts, with the
// etcd, Kubernetes, containerd, runc and CNI releases served from an upstream-shaped mirror on 127.0.0.1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, type ControlPlane } from '../../src/api/index.ts';
import { ArtifactCache } from '../../src/artifacts/index.ts';
import { addControlPlaneController } from '../../src/controllers/control-plane/index.ts';
import { addMachineHostController } from '../../src/controllers/machine-host/index.ts';
import { addNetworkAddonController } from '../../src/controllers/network-addon/index.ts';
import { addWorkerPoolController } from '../../src/controllers/worker-pool/index.ts';
import { controlPlaneResource } from '../../src/controllers/resources.ts';
import type { SshPool } from '../../src/host/index.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { resourcePath } from '../../src/runtime/resources.ts';
import { buildEtcdRelease, buildKubernetesRelease, buildNodeRelease, startArtifactMirror, type ArtifactMirror } from './artifact-mirror.ts';
import { nudgeObject, waitForObjectCondition } from './object-conditions.ts';

export interface ControlPlaneEnv {
  manager: Manager;
  client: KubeClient;
  /** The ControlPlane controller's SSH pool. */
  pool: SshPool;
  /** The WorkerPool controller's SSH pool. */
  workerPool: SshPool;
  /** The NetworkAddon controller's SSH pool. */
  networkAddonPool: SshPool;
  mirror: ArtifactMirror;
  /** Directory of the etcd release on the mirror (`<root>/etcd/<version>`). */
  releaseDir: string;
  stop(): Promise<void>;
}

/** How long the tests' WorkerPools let PodDisruptionBudgets hold a drain before asking a person. */
export const DRAIN_TIMEOUT_MS = 30_000;

/** The release the tests' ControlPlanes run: the one hack/build-binaries.sh builds. */
export const KUBERNETES_VERSION = 'v1.36.3';

export async function startControlPlaneEnv(kc: KubeConfig, namespace: string): Promise<ControlPlaneEnv> {
  const log = createLogger('e2e');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  const root = mkdtempSync(join(tmpdir(), 'kubesmith-mirror-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'kubesmith-artifact-cache-'));
  const releaseDir = buildEtcdRelease(root);
  await buildKubernetesRelease(root, KUBERNETES_VERSION);
  buildNodeRelease(root);
  const mirror = await startArtifactMirror(root);
  const manager = new Manager({ kubeConfig: kc, log, identity: 'e2e', namespace, metrics: new Metrics(false) });
  addMachineHostController(manager, { retryMs: 500 });
  const artifacts = new ArtifactCache({ dir: cacheDir });
  const pool = addControlPlaneController(manager, { retryMs: 1_000, artifacts });
  const workerPool = addWorkerPoolController(manager, { retryMs: 1_000, artifacts, drainTimeoutMs: DRAIN_TIMEOUT_MS });
  const networkAddonPool = addNetworkAddonController(manager, { retryMs: 1_000 });
  await manager.start();
  return {
    manager,
    client: manager.client,
    pool,
    workerPool,
    networkAddonPool,
    mirror,
    releaseDir,
    async stop() {
      await manager.shutdown();
      await mirror.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

export async function createControlPlane(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: Partial<ControlPlane['spec']> & { artifacts: ControlPlane['spec']['artifacts'] },
): Promise<void> {
  await client.create(resourcePath(controlPlaneResource, namespace), {
    apiVersion: API_VERSION,
    kind: 'ControlPlane',
    metadata: { name },
    spec: { version: KUBERNETES_VERSION, hostSelector: { matchLabels: { role: 'control-plane' } }, replicas: 1, ...spec },
  });
}

export function getControlPlane(client: KubeClient, namespace: string, name: string): Promise<ControlPlane> {
  return client.get<ControlPlane>(resourcePath(controlPlaneResource, namespace, name));
}

/** Waits until the ControlPlane's condition has the status (and reason, if given). */
export function waitForControlPlane(
  client: KubeClient,
  namespace: string,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 180_000,
): Promise<ControlPlane> {
  return waitForObjectCondition(() => getControlPlane(client, namespace, name), name, type, status, reason, timeoutMs, 200);
}

/** Triggers a reconcile of the ControlPlane without changing its spec. */
export function nudgeControlPlane(client: KubeClient, namespace: string, name: string): Promise<void> {
  return nudgeObject(client, controlPlaneResource, namespace, name);
}

/** etcdctl on a test host over TLS with the healthcheck client certificate. */
export function etcdctlOnHost(endpoints: string, args: string): string {
  const pki = '/etc/kubernetes/pki/etcd';
  return `ETCDCTL_API=3 /usr/local/bin/etcdctl --endpoints=${endpoints} --cacert=${pki}/ca.crt --cert=${pki}/healthcheck-client.crt --key=${pki}/healthcheck-client.key ${args}`;
}

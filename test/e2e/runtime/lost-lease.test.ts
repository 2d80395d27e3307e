// An operator that loses its lease stops changing hosts within the renew deadline. Its reconcile
// keeps writing to a real host until the API server is cut off; losing the lease aborts the
// reconcile's signal, and the SSH session bound to it starts no further command, although the
// shutdown grace would let the reconcile run on for a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../../src/api/index.ts';
import { machineHostResource } from '../../../src/controllers/resources.ts';
import { SshPool, WorkAbortedError } from '../../../src/host/index.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import { startHosts, loginOf, type TestHosts } from '../../support/hosts.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.ts';
import { kubeconfigThroughPort } from '../../support/management-cluster.ts';
import { loadKubeConfig } from '../../support/manifests.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { waitFor } from '../../support/wait.ts';

const RENEW_DEADLINE_MS = 2_000;
const STEPS = '/tmp/steps';

const kc = testKubeConfig();
let dir: string;
let namespace: string;
let proxy: TcpProxy;
let test: TestHosts;
let manager: Manager;
const pool = new SshPool();

/** What the reconcile saw: when its signal aborted and when it ended. */
const seen: { abortedAt?: number; endedAt?: number; error?: unknown } = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-lease-'));
  namespace = await createNamespace(kc, 'lease');
  test = await startHosts(1, { prefix: 'lease' });
  proxy = await TcpProxy.start(Number(new URL(kc.getCurrentCluster()!.server).port));
  const viaProxy = loadKubeConfig(kubeconfigThroughPort(inject('kubeconfig'), proxy.port, join(dir, 'proxied')));
  const log = createLogger('test');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  manager = new Manager({
    kubeConfig: viaProxy,
    log,
    identity: 'lease-test',
    namespace,
    metrics: new Metrics(false),
    leaderElection: { namespace, name: 'lease-test', leaseDurationMs: 3_000, renewDeadlineMs: RENEW_DEADLINE_MS, retryPeriodMs: 500 },
    shutdownGraceMs: 60_000,
  });
  const login = loginOf(test.hosts[0]!);
  manager.addController({
    name: 'stepper',
    primary: manager.informer(machineHostResource),
    reconcile: async (_key, { signal }) => {
      signal.addEventListener('abort', () => (seen.abortedAt = Date.now()), { once: true });
      try {
        // Ten minutes of host changes if nothing stopped it.
        for (let i = 0; i < 6_000; i++) {
          await pool.withHost(login, (s) => s.check(`date +%s%3N >> ${STEPS}`), { signal });
          await sleep(100);
        }
      } catch (error) {
        seen.error = error;
      } finally {
        seen.endedAt = Date.now();
      }
    },
  });
  void manager.start();
});

afterAll(async () => {
  proxy?.resume();
  await manager?.shutdown();
  pool.dispose();
  await proxy?.close();
  await test?.stop();
  await deleteNamespace(kc, namespace);
  rmSync(dir, { recursive: true, force: true });
});

const steps = async () => (await test.hosts[0]!.run(`cat ${STEPS} 2>/dev/null`)).stdout.split('\n').filter(Boolean).map(Number);

describe('losing the lease', () => {
  it('stops the reconcile from changing hosts within the renew deadline', async () => {
    await new KubeClient(kc).create(resourcePath(machineHostResource, namespace), {
      apiVersion: API_VERSION,
      kind: 'MachineHost',
      metadata: { name: 'target' },
      spec: { address: '127.0.0.1', user: 'root', sshKeySecretRef: { name: 'unused', key: 'id' } },
    });
    await waitFor('the reconcile to change the host', async () => (await steps()).length >= 5, 60_000, 100);
    const cutAt = Date.now();
    proxy.cut();
    await waitFor('the reconcile to end', () => seen.endedAt !== undefined, 30_000, 100);
    const written = await steps();
    const last = written.at(-1)!;
    console.log(`lease lost ${seen.abortedAt! - cutAt} ms after the cut; last host change ${last - seen.abortedAt!} ms after that`);
    expect(seen.abortedAt! - cutAt).toBeLessThanOrEqual(RENEW_DEADLINE_MS + 1_000);
    // At most the one command already running when the lease went may finish after it.
    expect(last - seen.abortedAt!).toBeLessThan(1_000);
    expect(seen.endedAt! - seen.abortedAt!).toBeLessThan(1_000);
    expect(seen.error).toBeInstanceOf(WorkAbortedError);
    expect(written.length).toBeLessThan(6_000);
  });
});

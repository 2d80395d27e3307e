// What the informer sees when its connection breaks or its resourceVersion expires. This file runs
// its own management API server, since it restarts it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InformerEvent } from '../../src/runtime/informer.ts';
import { kubeconfigThroughPort, startManagementCluster, type ManagementCluster } from '../support/management-cluster.ts';
import { installCrds, loadKubeConfig } from '../support/manifests.ts';
import { hosts, startHarness, type Harness } from '../support/runtime-harness.ts';
import { OperatorProcess } from '../support/operator-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

let dir: string;
let cluster: ManagementCluster;
let proxy: TcpProxy;
let harness: Harness;
let api: ReturnType<typeof hosts>;
const namespace = 'resilience';
const events: { event: InformerEvent; name: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-resilience-'));
  cluster = await startManagementCluster({ dir, binDir: inject('binDir') });
  installCrds(inject('binDir'), cluster.kubeconfigPath);
  const direct = loadKubeConfig(cluster.kubeconfigPath);
  await direct.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  api = hosts(direct, namespace);
  proxy = await TcpProxy.start(cluster.port);
  const viaProxy = loadKubeConfig(kubeconfigThroughPort(cluster.kubeconfigPath, proxy.port, join(dir, 'proxied')));
  harness = await startHarness(viaProxy, namespace, () => async () => {});
  harness.informer.on((event, object) => events.push({ event, name: object.metadata!.name! }));
});

afterAll(async () => {
  await harness?.stop();
  await proxy?.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cached = (name: string) => harness.informer.get(`${namespace}/${name}`);

describe('informer resilience', () => {
  it('sees a deletion that happened while its watch was cut', async () => {
    await api.create('doomed');
    await waitFor('doomed in the cache', () => cached('doomed'));
    const errorsBefore = harness.informer.stats.errors;
    proxy.cut();
    await api.delete('doomed');
    await new Promise((r) => setTimeout(r, 500));
    proxy.resume();
    await waitFor('doomed gone from the cache', () => !cached('doomed'));
    expect(events).toContainEqual({ event: 'delete', name: 'doomed' });
    expect(harness.informer.stats.errors).toBeGreaterThan(errorsBefore);
  });

  it('relists after 410 Gone, losing no object and inventing no event', async () => {
    for (const name of ['keep', 'change', 'remove']) await api.create(name);
    await waitFor('all three cached', () => cached('keep') && cached('change') && cached('remove'));
    const goneBefore = harness.informer.stats.gone;
    proxy.cut();
    events.length = 0;
    await api.delete('remove');
    await api.label('change', { touched: 'yes' });
    await api.create('added');
    // A restarted API server's watch cache starts at the current revision, so resuming the watch
    // from the informer's older resourceVersion is answered with 410 Gone.
    await cluster.restartApiServer();
    proxy.resume();
    await waitFor('the relist', () => harness.informer.stats.gone > goneBefore && cached('added') && !cached('remove'), 60_000);
    await waitFor('the change', () => cached('change')?.metadata?.labels?.touched === 'yes');
    expect(events.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { event: 'add', name: 'added' },
      { event: 'update', name: 'change' },
      { event: 'delete', name: 'remove' },
    ]);
    expect(harness.informer.list().map((o) => o.metadata!.name).sort()).toEqual(['added', 'change', 'keep']);
  });

  it('stops working within the renew deadline when the leader cannot reach the API server', async () => {
    proxy.resume();
    const proc = new OperatorProcess(join(dir, 'proxied'), [
      '--leader-elect',
      `--namespace=${namespace}`,
      `--leader-election-namespace=${namespace}`,
      '--probe-port=0',
      '--lease-duration=4s',
      '--renew-deadline=2s',
      '--retry-period=500ms',
    ]);
    try {
      await waitFor('the process to lead', () => proc.logged('became leader'), 30_000);
      const cutAt = Date.now();
      proxy.cut();
      const code = await proc.exited;
      const stoppedAfterMs = Date.now() - cutAt;
      console.log(`leader stopped ${stoppedAfterMs} ms after losing the API server (renew deadline 2000 ms)`);
      expect(code).toBe(1);
      expect(proc.logged('lost the leader lease')).toBeTruthy();
      expect(stoppedAfterMs).toBeLessThan(2000 + 2 * 500 + 1000);
    } finally {
      proc.child.kill('SIGKILL');
      proxy.resume();
    }
  });
});

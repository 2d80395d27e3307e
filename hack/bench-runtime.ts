// Controller-runtime benchmark against a local management API server (figures, not a test):
//   node hack/bench-runtime.ts [objects=1000]
// 1. reconciles per second of a no-op and of a status-writing reconciler over N cached objects;
// 2. create -> reconcile-start latency (median, p99) for objects created one at a time;
// 3. RSS of the real operator process (src/main.ts) with N MachineHosts cached and reconciled.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { machineHostResource } from '../src/controllers/resources.ts';
import { resourcePath } from '../src/runtime/resources.ts';
import { applyStatus } from '../src/runtime/status.ts';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig } from '../test/support/manifests.ts';
import { OperatorProcess } from '../test/support/operator-process.ts';
import { hostObject, hosts, startHarness } from '../test/support/runtime-harness.ts';
import { waitFor } from '../test/support/wait.ts';

const n = Number(process.argv[2] ?? 1000);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

const binDir = ensureBinaries();
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-bench-'));
const cluster = await startManagementCluster({ dir, binDir });
try {
  installCrds(binDir, cluster.kubeconfigPath);
  const kc = loadKubeConfig(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  for (const ns of ['bench', 'latency', 'operator']) await core.createNamespace({ body: { metadata: { name: ns } } });
  const api = hosts(kc, 'bench');
  const names = Array.from({ length: n }, (_, i) => `host-${i}`);
  for (let i = 0; i < n; i += 25) await Promise.all(names.slice(i, i + 25).map((name) => api.create(name)));
  console.log(`created ${n} MachineHosts`);

  for (const mode of ['no-op', 'status write'] as const) {
    const done = new Set<string>();
    const started = performance.now();
    const h = await startHarness(
      kc,
      'bench',
      (informer, manager) => async (key) => {
        if (mode === 'status write') {
          const o = informer.get(key)!;
          await applyStatus(manager.client, machineHostResource, o, { observedGeneration: o.metadata?.generation }, 'bench');
        }
        done.add(key);
      },
      { concurrency: 4 },
    );
    await waitFor(`${n} reconciles`, () => done.size === n, 600_000, 5);
    const seconds = (performance.now() - started) / 1000;
    console.log(`${mode} reconciler: ${n} objects in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(0)} reconciles/s (list and cache fill included)`);
    await h.stop();
  }

  const createdAt = new Map<string, number>();
  const latencies: number[] = [];
  const h = await startHarness(kc, 'latency', () => async (key) => {
    const t = createdAt.get(key);
    if (t !== undefined && !latencies[Number(key.split('-')[1])]) latencies[Number(key.split('-')[1])] = performance.now() - t;
  });
  const client = hosts(kc, 'latency').client;
  const samples = Math.min(n, 300);
  for (let i = 0; i < samples; i++) {
    createdAt.set(`latency/host-${i}`, performance.now());
    await client.create(resourcePath(machineHostResource, 'latency'), hostObject('latency', `host-${i}`));
  }
  await waitFor('all latency samples', () => latencies.filter((x) => x !== undefined).length === samples, 60_000);
  await h.stop();
  console.log(`create -> reconcile start over ${samples} creates: median ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`);

  const opHosts = hosts(kc, 'operator');
  for (let i = 0; i < n; i += 25) await Promise.all(names.slice(i, i + 25).map((name) => opHosts.create(name)));
  const proc = new OperatorProcess(cluster.kubeconfigPath, ['--namespace=operator', '--probe-port=0'], { KUBESMITH_LOG_LEVEL: 'debug' });
  const opStart = performance.now();
  await waitFor('the operator to reconcile every host', () => new Set(proc.logs.filter((l) => l.msg === 'status set').map((l) => l.object)).size >= n, 600_000, 50);
  const opSeconds = (performance.now() - opStart) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))![1];
  console.log(`operator process: ${n} MachineHosts reconciled (status written) ${opSeconds.toFixed(2)} s after start; RSS ${(Number(rss) / 1024).toFixed(0)} MiB with them cached`);
  proc.child.kill('SIGTERM');
  await proc.exited;
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

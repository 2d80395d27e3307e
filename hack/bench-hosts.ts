// MachineHost benchmark on real test hosts (figures, not a test):
//   node hack/bench-hosts.ts [hosts=10] [rounds=3]
// - wall time from creating N MachineHosts to all Ready, per round (fresh hosts each round), median;
// - SSH connections and round trips per host for a full prep and for a no-drift re-check;
// - the wall time of one no-drift re-check sweep over all N hosts and the writes it made (target:
//   100 hosts in under 10 s with 0 writes), and the reconcile time per host;
// - RSS of the real operator process with N hosts.
// Every host it starts is removed when it ends, fails or is interrupted (bench-world.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../src/runtime/kube-client.ts';
import { eventResource, resourcePath } from '../src/runtime/resources.ts';
import { startHosts } from '../test/support/hosts.ts';
import { createKeySecret, createMachineHost, nudge, startMachineHostController, waitForCondition, type MachineHostEnv } from '../test/support/machine-host-env.ts';
import { OperatorProcess } from '../test/support/operator-process.ts';
import { waitFor } from '../test/support/wait.ts';
import { benchManagementCluster, made, runBenchmark } from './bench-world.ts';

const n = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function hostChanges(client: KubeClient, namespace: string): Promise<number> {
  const { items } = await client.list<{ reason: string }>(resourcePath(eventResource, namespace));
  return items.filter((e) => e.reason === 'HostChanged').length;
}

async function reconcileHistogram(env: MachineHostEnv): Promise<{ sum: number; count: number }> {
  const metric = await env.manager.metrics.registry.getSingleMetric('controller_runtime_reconcile_time_seconds')!.get();
  const pick = (name: string) => metric.values.find((v) => (v as { metricName?: string }).metricName === name && v.labels.controller === 'machinehost')?.value ?? 0;
  return { sum: pick('controller_runtime_reconcile_time_seconds_sum'), count: pick('controller_runtime_reconcile_time_seconds_count') };
}

/** Nudges every host once and times the sweep until the controller has finished a reconcile of each. */
async function recheckSweep(env: MachineHostEnv, ns: string): Promise<void> {
  const before = env.pool.counters.snapshot();
  const h0 = await reconcileHistogram(env);
  const writes0 = await hostChanges(env.client, ns);
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => nudge(env.client, ns, `h-${i}`)));
  await waitFor('a re-check of every host', async () => (await reconcileHistogram(env)).count - h0.count >= n, 300_000, 20);
  const sweep = (performance.now() - started) / 1000;
  const after = env.pool.counters.snapshot();
  const h1 = await reconcileHistogram(env);
  const writes = (await hostChanges(env.client, ns)) - writes0;
  const trips = Object.keys(after).map((k) => after[k]!.roundTrips - before[k]!.roundTrips);
  const conns = Object.keys(after).map((k) => after[k]!.connections - before[k]!.connections);
  console.log(`no-drift re-check sweep over ${n} hosts: ${sweep.toFixed(2)} s wall, ${writes} writes (target for 100 hosts: under 10 s, 0 writes)`);
  console.log(`  per host: round trips ${median(trips)} (median; ${Math.min(...trips)}..${Math.max(...trips)}), new connections ${conns.reduce((a, b) => a + b, 0)} in all`);
  console.log(`  reconcile time: mean ${(((h1.sum - h0.sum) / (h1.count - h0.count)) * 1000).toFixed(1)} ms per host over ${h1.count - h0.count} reconciles`);
}

async function operatorRss(kc: KubeConfig, env: MachineHostEnv, hosts: Awaited<ReturnType<typeof startHosts>>): Promise<void> {
  const ns = 'bench-operator';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  await createKeySecret(env.client, ns, 'ssh-key', hosts.keyPair.privateKey);
  const [dir] = await made(mkdtempSync(join(tmpdir(), 'kubesmith-bench-hosts-')), (d) => rmSync(d, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  const [proc] = await made(new OperatorProcess(kubeconfig, [`--namespace=${ns}`, '--probe-port=0']), async (p) => {
    p.child.kill('SIGTERM');
    await p.exited;
  });
  await Promise.all(hosts.hosts.map((h, i) => createMachineHost(env.client, ns, `h-${i}`, h)));
  await Promise.all(hosts.hosts.map((_, i) => waitForCondition(env.client, ns, `h-${i}`, 'Ready', 'True', undefined, 600_000)));
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))![1];
  console.log(`operator process RSS with ${n} Ready hosts: ${(Number(rss) / 1024).toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  const kc = await benchManagementCluster('kubesmith-bench-hosts-');
  const core = kc.makeApiClient(CoreV1Api);
  const walls: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const ns = `bench-${round}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const [[test, removeHosts], [env, stopEnv]] = await Promise.all([
      made(startHosts(n, { prefix: `b${round}` }), (t) => t.stop()),
      made(startMachineHostController(kc, ns), (e) => e.stop()),
    ]);
    await createKeySecret(env.client, ns, 'ssh-key', test.keyPair.privateKey);
    const started = performance.now();
    await Promise.all(test.hosts.map((h, i) => createMachineHost(env.client, ns, `h-${i}`, h)));
    await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, ns, `h-${i}`, 'Ready', 'True', undefined, 600_000)));
    const wall = (performance.now() - started) / 1000;
    walls.push(wall);
    const full = Object.values(env.pool.counters.snapshot());
    console.log(
      `round ${round}: ${n} hosts created -> Ready in ${wall.toFixed(2)} s; per host for a full prep: ` +
        `connections ${median(full.map((c) => c.connections))}, round trips ${median(full.map((c) => c.roundTrips))} (medians)`,
    );
    if (round === rounds) {
      await recheckSweep(env, ns);
      await stopEnv();
      await operatorRss(kc, env, test);
    }
    await stopEnv();
    await removeHosts();
  }
  console.log(`${n} hosts created -> Ready, median of ${rounds}: ${median(walls).toFixed(2)} s (${walls.map((w) => w.toFixed(2)).join(', ')})`);
}

await runBenchmark(main);

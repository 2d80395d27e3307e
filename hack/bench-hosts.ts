// MachineHost benchmark on real test hosts (figures, not a test):
//   node hack/bench-hosts.ts [hosts=10] [rounds=3]
// - wall time from creating N MachineHosts to all Ready, per round (fresh hosts each round), median;
// - SSH connections and round trips per host for a full prep and for a no-drift re-check;
// - reconcile time per host for a re-check (from the controller's duration histogram);
// - RSS of the real operator process with N hosts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { startHosts } from '../test/support/hosts.ts';
import { createKeySecret, createMachineHost, nudge, startMachineHostController, waitForCondition } from '../test/support/machine-host-env.ts';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig, repoRoot } from '../test/support/manifests.ts';
import { waitFor } from '../test/support/wait.ts';

const n = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

execFileSync('bash', [join(repoRoot, 'hack', 'ensure-docker.sh')], { stdio: 'inherit' });
process.env.KUBESMITH_HOST_IMAGE = execFileSync('bash', [join(repoRoot, 'hack', 'build-host-image.sh')], { encoding: 'utf8' }).trim();
const binDir = ensureBinaries();
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-bench-hosts-'));
const cluster = await startManagementCluster({ dir, binDir });
try {
  installCrds(binDir, cluster.kubeconfigPath);
  const kc = loadKubeConfig(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const walls: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const ns = `bench-${round}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const [test, env] = await Promise.all([startHosts(n, { prefix: `b${round}` }), startMachineHostController(kc, ns)]);
    try {
      await createKeySecret(env.client, ns, 'ssh-key', test.keyPair.privateKey);
      const started = performance.now();
      await Promise.all(test.hosts.map((h, i) => createMachineHost(env.client, ns, `h-${i}`, h)));
      await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, ns, `h-${i}`, 'Ready', 'True', undefined, 600_000)));
      const wall = (performance.now() - started) / 1000;
      walls.push(wall);
      const full = Object.values(env.pool.counters.snapshot());
      console.log(
        `round ${round}: ${n} hosts created -> Ready in ${wall.toFixed(2)} s; per host for a full prep: ` +
          `connections ${full.map((c) => c.connections).join('/')}, round trips ${full.map((c) => c.roundTrips).join('/')}`,
      );
      if (round === rounds) {
        const hist = async () => {
          const metric = await env.manager.metrics.registry.getSingleMetric('controller_runtime_reconcile_time_seconds')!.get();
          const pick = (name: string) =>
            metric.values.find((v) => (v as { metricName?: string }).metricName === name && v.labels.controller === 'machinehost')?.value ?? 0;
          return { sum: pick('controller_runtime_reconcile_time_seconds_sum'), count: pick('controller_runtime_reconcile_time_seconds_count') };
        };
        const before = env.pool.counters.snapshot();
        const h0 = await hist();
        await Promise.all(test.hosts.map((_, i) => nudge(env.client, ns, `h-${i}`)));
        await waitFor('every re-check', () => Object.entries(env.pool.counters.snapshot()).every(([k, c]) => c.roundTrips > before[k]!.roundTrips), 120_000);
        await new Promise((r) => setTimeout(r, 1000));
        const after = env.pool.counters.snapshot();
        const h1 = await hist();
        const trips = Object.keys(after).map((k) => after[k]!.roundTrips - before[k]!.roundTrips);
        const conns = Object.keys(after).map((k) => after[k]!.connections - before[k]!.connections);
        console.log(`no-drift re-check per host: round trips ${trips.join('/')}, new connections ${conns.join('/')}`);
        console.log(`re-check reconcile time: mean ${(((h1.sum - h0.sum) / (h1.count - h0.count)) * 1000).toFixed(1)} ms per host over ${h1.count - h0.count} reconciles`);
        const op = await import('../test/support/operator-process.ts');
        const ns2 = 'bench-operator';
        await core.createNamespace({ body: { metadata: { name: ns2 } } });
        await createKeySecret(env.client, ns2, 'ssh-key', test.keyPair.privateKey);
        await env.stop();
        const proc = new op.OperatorProcess(cluster.kubeconfigPath, [`--namespace=${ns2}`, '--probe-port=0']);
        await Promise.all(test.hosts.map((h, i) => createMachineHost(env.client, ns2, `h-${i}`, h)));
        await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, ns2, `h-${i}`, 'Ready', 'True', undefined, 600_000)));
        await new Promise((r) => setTimeout(r, 2000));
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8'))![1];
        console.log(`operator process RSS with ${n} Ready hosts: ${(Number(rss) / 1024).toFixed(0)} MiB`);
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    } finally {
      await env.stop().catch(() => {});
      await test.stop();
    }
  }
  console.log(`${n} hosts created -> Ready, median of ${rounds}: ${median(walls).toFixed(2)} s (${walls.map((w) => w.toFixed(2)).join(', ')})`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

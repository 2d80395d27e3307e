// Nodes benchmark on real test hosts (figures, not a test):
//   npm run bench:nodes -- [rounds=3]
// Each round: fresh hosts (1 control-plane host, 3 worker hosts), an empty artifact cache, the test
// image registry on the hosts' network gateway; all four MachineHosts Ready first (not timed).
// 1. Bring-up: from creating a ControlPlane (1 member), a WorkerPool (replicas 2) and a bridge
//    NetworkAddon at once, the time until ControlPlane Available, ControlPlane NodesRegistered,
//    WorkerPool Ready (every Node Ready) and NetworkAddon Ready; when each condition of the three
//    objects first became True (their status polled every 200 ms); the time each phase spent in
//    run(); the SSH round trips of each controller's pool.
// 2. One added worker: the pool scaled 2 -> 3, the time until readyReplicas=3 and Ready=True.
// 3. Memory: a worker test host running containerd, the kubelet and kube-proxy (docker stats, and the
//    RSS of each from ps inside the host), next to a host of the same round that is no Node yet.
// Everything it makes (test hosts and their network, the image registry, the management etcd and API
// server, temporary directories) is removed on the way out: after success, an error, SIGINT or SIGTERM.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  benchManagementCluster,
  CLUSTER,
  CLUSTER_KINDS,
  firstSeenRows,
  isTrue,
  median,
  phaseRows,
  phaseTimes,
  readyWorld,
  recordPhaseRuns,
  runBenchmark,
  seconds as s,
  sshFigures,
  sshFiguresSince,
  sum,
  table,
  warningEvents,
  watchStatus,
  type ClusterKind,
  type PhaseTime,
  type SshFigures,
} from './bench-world.ts';
import { workerPoolResource } from '../src/controllers/resources.ts';
import { resourcePath } from '../src/runtime/resources.ts';
import { createNetworkAddon, createTestControlPlane, createWorkerPool, getWorkerPool } from '../test/support/cluster-world.ts';
import type { TestHost } from '../test/support/hosts.ts';

const rounds = Number(process.argv[2] ?? 3);
const WORKERS = 2;
const POLL_MS = 200;
const BRING_UP_TIMEOUT_MS = 900_000;
const SCALE_TIMEOUT_MS = 600_000;
const { cp: CP, pool: POOL, net: NET } = CLUSTER;
const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : '-');

recordPhaseRuns();

// ---- One round.
type Ssh = SshFigures;
interface Memory {
  /** docker stats MemUsage, as printed, and in MiB. */
  dockerStats: string;
  dockerMiB: number;
  /** KiB of RSS per process name, summed over its processes. */
  rss: Map<string, number>;
  /** The container's memory cgroup (v1) memory.stat, in KiB: CGROUP_STATS; empty when not found. */
  cgroup: Map<string, number>;
}
interface RoundResult {
  /** ms since creation: kind/condition and milestones, first seen. */
  bringUp: Map<string, number>;
  bringUpMs: number;
  bringUpPhases: Map<ClusterKind, Map<string, PhaseTime>>;
  bringUpSsh: Ssh;
  scale: Map<string, number>;
  scaleMs: number;
  scalePhases: Map<string, PhaseTime>;
  scaleSsh: Ssh;
  worker: Memory;
  /** The same of a host that is a Ready MachineHost but no Node (the round's fourth host, before it joins). */
  idle: Memory;
  warnings: string[];
}

const PROCESSES = ['containerd', 'kubelet', 'kube-proxy', 'containerd-shim-runc-v2'];
const CGROUP_STATS = ['total_rss', 'total_cache', 'total_mapped_file', 'total_inactive_file'];

async function memoryOf(host: TestHost): Promise<Memory> {
  const dockerStats = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', host.container.getId()], { encoding: 'utf8' }).trim();
  const [amount, unit] = /^([\d.]+)\s*([KMG]i?B|B)/.exec(dockerStats)?.slice(1) ?? [];
  const scale: Record<string, number> = { B: 1 / 1024 ** 2, KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1024, MB: 1, GB: 1024 };
  const dockerMiB = Number(amount) * (scale[unit ?? ''] ?? NaN);
  const script = PROCESSES.map((p) => `echo "${p} $(ps -o rss= -C ${p} | awk '{s+=$1} END {print s+0}')"`).join('; ');
  const out = await host.run(script);
  if (out.exitCode !== 0) throw new Error(`ps on ${host.name} failed: ${out.stderr}`);
  const rss = new Map(out.stdout.trim().split('\n').map((line) => [line.split(' ')[0]!, Number(line.split(' ')[1])] as [string, number]));
  const cgroup = new Map<string, number>();
  try {
    const stat = readFileSync(`/sys/fs/cgroup/memory/docker/${host.container.getId()}/memory.stat`, 'utf8');
    for (const line of stat.split('\n')) {
      const [key, value] = line.split(' ');
      if (key && CGROUP_STATS.includes(key)) cgroup.set(key, Number(value) / 1024);
    }
  } catch {
    // Not cgroup v1 with the cgroupfs driver: docker stats and ps only.
  }
  return { dockerStats, dockerMiB, rss, cgroup };
}

async function round(kc: KubeConfig, n: number): Promise<RoundResult> {
  const { world, remove } = await readyWorld(kc, { namespace: `bench-nodes-${n}`, prefix: `n${n}`, controlPlanes: 1, workers: 3 });
  const { env, namespace: ns } = world;
  const client = env.client;

  // 1. Bring-up.
  const load0 = loadavg()[0]!;
  const ssh0 = sshFigures(world);
  const started = performance.now();
  await Promise.all([
    createTestControlPlane(world, CP),
    createWorkerPool(client, ns, POOL, { controlPlaneRef: { name: CP }, replicas: WORKERS }),
    createNetworkAddon(client, ns, NET, { controlPlaneRef: { name: CP } }),
  ]);
  const created = performance.now() - started;
  const wanted = ['ControlPlane/Available', 'ControlPlane/NodesRegistered', 'WorkerPool/Ready', 'NetworkAddon/Ready'];
  const up = await watchStatus(client, ns, {
    started,
    done: (o) =>
      isTrue(o.ControlPlane.status?.conditions, 'Available') &&
      isTrue(o.ControlPlane.status?.conditions, 'NodesRegistered') &&
      isTrue(o.WorkerPool.status?.conditions, 'Ready') &&
      (o.WorkerPool.status?.readyReplicas ?? 0) === WORKERS &&
      isTrue(o.NetworkAddon.status?.conditions, 'Ready'),
    extra: (o) => [
      ...Array.from({ length: o.WorkerPool.status?.readyReplicas ?? 0 }, (_, i) => `WorkerPool readyReplicas=${i + 1}`),
      ...(o.NetworkAddon.status?.nodes ?? []).map((node) => `NetworkAddon has ${node}`),
    ],
    timeoutMs: BRING_UP_TIMEOUT_MS,
    pollMs: POLL_MS,
    what: 'the bring-up',
  });
  const bringUpMs = Math.max(...wanted.map((k) => up.seen.get(k)!));
  const bringUpSsh = sshFiguresSince(world, ssh0);
  const cut = started + bringUpMs;
  const bringUpPhases = new Map(CLUSTER_KINDS.map((k) => [k, phaseTimes(k, started, cut)]));
  up.seen.set('objects created', created);
  console.log(
    `round ${n}: hosts Ready -> all Nodes Ready ${s(bringUpMs)} (ControlPlane Available ${s(up.seen.get('ControlPlane/Available')!)}, ` +
      `NodesRegistered ${s(up.seen.get('ControlPlane/NodesRegistered')!)}, WorkerPool Ready ${s(up.seen.get('WorkerPool/Ready')!)}, ` +
      `NetworkAddon Ready ${s(up.seen.get('NetworkAddon/Ready')!)}); pool nodes ${JSON.stringify(up.last.WorkerPool.status?.nodes)}`,
  );

  // Memory of the host that is not a Node yet, before it joins.
  const idle = await memoryOf(world.hosts.get('w-3')!);

  // 2. One added worker.
  const ssh1 = sshFigures(world);
  const scaleStarted = performance.now();
  await client.patch(resourcePath(workerPoolResource, ns, POOL), { spec: { replicas: WORKERS + 1 } }, 'application/merge-patch+json');
  const generation = (await getWorkerPool(client, ns, POOL)).metadata.generation ?? 0;
  const scaled = await watchStatus(client, ns, {
    started: scaleStarted,
    done: (o) =>
      (o.WorkerPool.status?.observedGeneration ?? 0) >= generation &&
      o.WorkerPool.status?.readyReplicas === WORKERS + 1 &&
      isTrue(o.WorkerPool.status?.conditions, 'Ready'),
    extra: (o) => [
      ...((o.WorkerPool.status?.observedGeneration ?? 0) >= generation ? ['WorkerPool observed the new replicas'] : []),
      ...((o.WorkerPool.status?.replicas ?? 0) > WORKERS ? ['WorkerPool replicas=3 (w-3 claimed)'] : []),
      ...((o.NetworkAddon.status?.nodes ?? []).includes('w-3') ? ['NetworkAddon has w-3'] : []),
    ],
    timeoutMs: SCALE_TIMEOUT_MS,
    pollMs: POLL_MS,
    what: 'the added worker',
  });
  const scaleMs = performance.now() - scaleStarted;
  const scaleSsh = sshFiguresSince(world, ssh1);
  const scalePhases = phaseTimes('WorkerPool', scaleStarted, scaleStarted + scaleMs);
  console.log(`round ${n}: one added worker -> readyReplicas=3, Ready ${s(scaleMs)}; pool nodes ${JSON.stringify(scaled.last.WorkerPool.status?.nodes)}`);

  // 3. Memory of a worker that has run for the whole scale-up.
  const worker = await memoryOf(world.hosts.get('w-1')!);
  console.log(`round ${n}: memory of w-1 (a worker Node) ${worker.dockerStats}; of w-3 before it joined ${idle.dockerStats}`);

  const warnings = await warningEvents(client, ns);
  for (const w of warnings) console.log(`  warning event ${w}`);
  // Another heavy job on this machine (e2e tests) slows every figure; the load shows it.
  console.log(`round ${n}: 1-minute load average ${load0.toFixed(1)} at the start of the bring-up, ${loadavg()[0]!.toFixed(1)} at the end of the round (${cpus().length} cores)`);
  await remove();
  return {
    bringUp: up.seen,
    bringUpMs,
    bringUpPhases,
    bringUpSsh,
    scale: scaled.seen,
    scaleMs,
    scalePhases,
    scaleSsh,
    worker,
    idle,
    warnings,
  };
}

// ---- Output.

function report(results: RoundResult[]): void {
  const roundCols = results.map((_, i) => `round ${i + 1}`);
  const med = `median of ${results.length}`;
  const row = (label: string, f: (r: RoundResult) => number, format: (x: number) => string = s) => [
    label,
    ...results.map((r) => format(f(r))),
    format(median(results.map(f))),
  ];
  console.log(`\n${table([
    ['Hosts Ready -> all Nodes Ready, 1 control plane + 2 workers', ...roundCols, med],
    row('  ControlPlane Available', (r) => r.bringUp.get('ControlPlane/Available')!),
    row('  ControlPlane NodesRegistered', (r) => r.bringUp.get('ControlPlane/NodesRegistered')!),
    row('  WorkerPool Ready (every Node Ready)', (r) => r.bringUp.get('WorkerPool/Ready')!),
    row('  NetworkAddon Ready', (r) => r.bringUp.get('NetworkAddon/Ready')!),
    row('  all four (the bring-up)', (r) => r.bringUpMs),
  ])}`);

  const total = median(results.map((r) => r.bringUpMs));
  console.log(`\n${table([
    [`First seen True (status polled every ${POLL_MS} ms), s since the objects were created; the gap from the line before and its share of the bring-up (medians)`],
    ...firstSeenRows(
      results.map((r) => r.bringUp),
      total,
    ),
  ])}`);

  console.log(`\n${table([
    [`Each phase's run() during the bring-up (median of ${results.length}): time in it summed over its reconciles, x runs, its share of the bring-up;`],
    ['when its first run started and its first True run ended, s since the objects were created (a status is written only at the end of a reconcile)'],
    ...phaseRows(
      results.map((r) => r.bringUpPhases),
      total,
    ),
  ])}`);

  const sshRow = (label: string, f: (r: RoundResult) => Ssh, kind: keyof Ssh) => [
    `  ${label} ${kind}`,
    ...results.map((r) => `${f(r)[kind].roundTrips} / ${f(r)[kind].connections}`),
    `${median(results.map((r) => f(r)[kind].roundTrips))} / ${median(results.map((r) => f(r)[kind].connections))}`,
  ];
  console.log(`\n${table([
    ['SSH round trips / new connections of each controller pool', ...roundCols, med],
    ...(['WorkerPool', 'ControlPlane', 'NetworkAddon'] as const).map((k) => sshRow('bring-up', (r) => r.bringUpSsh, k)),
    ...(['WorkerPool', 'ControlPlane', 'NetworkAddon'] as const).map((k) => sshRow('added worker', (r) => r.scaleSsh, k)),
  ])}`);

  const scaleKeys = [...new Set(results.flatMap((r) => [...r.scale.keys()]))];
  const scaleAt = (key: string) => median(results.map((r) => r.scale.get(key) ?? NaN));
  console.log(`\n${table([
    ['One added worker: replicas 2 -> 3, s since the patch', ...roundCols, med],
    ...scaleKeys.sort((a, b) => scaleAt(a) - scaleAt(b)).map((key) => [`  ${key}`, ...results.map((r) => s(r.scale.get(key) ?? NaN)), s(scaleAt(key))]),
    row('  readyReplicas=3 and Ready=True', (r) => r.scaleMs),
    [`  WorkerPool phases in run() (median): ${[...results[0]!.scalePhases.keys()]
      .map((p) => `${p} ${s(median(results.map((r) => r.scalePhases.get(p)!.ms)))} x${median(results.map((r) => r.scalePhases.get(p)!.runs))}`)
      .join(', ')}`],
  ])}`);

  const kib = (m: Memory, p: string) => m.rss.get(p) ?? NaN;
  console.log(`\n${table([
    ['Memory of a test host', ...roundCols, med],
    ['  worker Node w-1: docker stats MemUsage', ...results.map((r) => r.worker.dockerStats.split(' / ')[0]!), `${median(results.map((r) => r.worker.dockerMiB)).toFixed(1)}MiB`],
    ...PROCESSES.map((p) => row(`    RSS of ${p}`, (r) => kib(r.worker, p), mib)),
    row('    RSS of the three (containerd, kubelet, kube-proxy)', (r) => sum(['containerd', 'kubelet', 'kube-proxy'].map((p) => kib(r.worker, p))), mib),
    ['  no Node yet, w-3 before it joined: docker stats MemUsage', ...results.map((r) => r.idle.dockerStats.split(' / ')[0]!), `${median(results.map((r) => r.idle.dockerMiB)).toFixed(1)}MiB`],
    row('  difference in docker stats', (r) => (r.worker.dockerMiB - r.idle.dockerMiB) * 1024, mib),
    ...(results[0]!.worker.cgroup.size > 0
      ? CGROUP_STATS.flatMap((k) => [row(`  w-1 memory.stat ${k}`, (r) => r.worker.cgroup.get(k) ?? NaN, mib), row(`  w-3 before joining memory.stat ${k}`, (r) => r.idle.cgroup.get(k) ?? NaN, mib)])
      : []),
  ])}`);
  const limit = results[0]!.worker.dockerStats.split(' / ')[1];
  if (limit) console.log(`(docker stats limit: ${limit}; its usage is the cgroup's minus total_inactive_file, so it counts active page cache such as the binaries written to the host; ps RSS counts each process's mapped file pages, its binary too, and shared pages in each process)`);
}

// ---- Main.
async function main(): Promise<void> {
  const invoked = process.env.npm_lifecycle_event === 'bench:nodes' ? 'npm run bench:nodes --' : 'node hack/bench-nodes.ts';
  console.log(`$ ${invoked} ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`# ${new Date().toISOString()}, ${cpus().length} cores, rounds=${rounds}; each round: fresh hosts (1 control plane, 3 workers), empty artifact cache\n`);
  const kc = await benchManagementCluster('kubesmith-bench-nodes-');
  const results: RoundResult[] = [];
  for (let n = 1; n <= rounds; n++) results.push(await round(kc, n));
  report(results);
}

await runBenchmark(main);

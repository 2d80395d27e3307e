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
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { benchManagementCluster, made, runBenchmark } from './bench-world.ts';
import type { Condition, ControlPlane, NetworkAddon, WorkerPool } from '../src/api/index.ts';
import { CONTROL_PLANE_PHASES } from '../src/controllers/control-plane/phases.ts';
import { NETWORK_ADDON_PHASES } from '../src/controllers/network-addon/phases.ts';
import type { Phase } from '../src/controllers/phases.ts';
import { machineHostResource, networkAddonResource, workerPoolResource } from '../src/controllers/resources.ts';
import { WORKER_POOL_PHASES } from '../src/controllers/worker-pool/phases.ts';
import type { HostCounts } from '../src/host/index.ts';
import type { KubeClient } from '../src/runtime/kube-client.ts';
import { eventResource, resourcePath } from '../src/runtime/resources.ts';
import { createNetworkAddon, createTestControlPlane, createWorkerPool, getWorkerPool, type ClusterWorld } from '../test/support/cluster-world.ts';
import { getControlPlane, startControlPlaneEnv } from '../test/support/control-plane-env.ts';
import { gatewayOf, startHosts, type TestHost } from '../test/support/hosts.ts';
import { startImageRegistry } from '../test/support/image-registry.ts';
import { createKeySecret, createMachineHost, waitForCondition } from '../test/support/machine-host-env.ts';

const rounds = Number(process.argv[2] ?? 3);
const WORKERS = 2;
const POLL_MS = 200;
const BRING_UP_TIMEOUT_MS = 900_000;
const SCALE_TIMEOUT_MS = 600_000;
const CP = 'bench';
const POOL = 'workers';
const NET = 'pods';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : '-');

// ---- Time in each phase's run(). The controllers run in this process, so each phase's run() is
// timed here: wrapped, not changed. The phase lists are shared by every reconcile of their kind.
interface PhaseRun {
  kind: string;
  phase: string;
  status: string;
  start: number;
  end: number;
}
let phaseRuns: PhaseRun[] = [];

function timePhases<S>(kind: string, phases: readonly Phase<S>[]): void {
  for (const phase of phases) {
    const run = phase.run.bind(phase);
    phase.run = async (scope) => {
      const entry = { kind, phase: phase.condition, status: 'error', start: performance.now(), end: 0 };
      try {
        const outcome = await run(scope);
        entry.status = outcome.status;
        return outcome;
      } finally {
        phaseRuns.push({ ...entry, end: performance.now() });
      }
    };
  }
}
timePhases('ControlPlane', CONTROL_PLANE_PHASES);
timePhases('WorkerPool', WORKER_POOL_PHASES);
timePhases('NetworkAddon', NETWORK_ADDON_PHASES);

/** Each kind's conditions in the order of its phases, then its roll-up. */
const CONDITIONS: Record<string, string[]> = {
  ControlPlane: [...CONTROL_PLANE_PHASES.map((p) => p.condition), 'Ready'],
  WorkerPool: [...WORKER_POOL_PHASES.map((p) => p.condition), 'Ready'],
  NetworkAddon: [...NETWORK_ADDON_PHASES.map((p) => p.condition), 'Ready'],
};
const KINDS = Object.keys(CONDITIONS);

interface PhaseTime {
  /** Time in run(), summed. */
  ms: number;
  runs: number;
  /** ms since `from`: the first run's start, and the end of the first run that returned True. */
  firstStart: number;
  firstTrue: number;
}

function phaseTimes(kind: string, from: number, to: number): Map<string, PhaseTime> {
  const mine = phaseRuns.filter((r) => r.kind === kind && r.start >= from && r.start < to);
  return new Map(
    CONDITIONS[kind]!.filter((c) => c !== 'Ready').map((phase) => {
      const runs = mine.filter((r) => r.phase === phase);
      const firstTrue = runs.find((r) => r.status === 'True');
      return [
        phase,
        { ms: sum(runs.map((r) => r.end - r.start)), runs: runs.length, firstStart: (runs[0]?.start ?? NaN) - from, firstTrue: (firstTrue?.end ?? NaN) - from },
      ];
    }),
  );
}

// ---- Status polling: the moment each condition was first seen True, and other milestones.
interface Objects {
  ControlPlane: ControlPlane;
  WorkerPool: WorkerPool;
  NetworkAddon: NetworkAddon;
}

async function readObjects(client: KubeClient, ns: string): Promise<Objects> {
  const [cp, wp, na] = await Promise.all([
    getControlPlane(client, ns, CP),
    getWorkerPool(client, ns, POOL),
    client.get<NetworkAddon>(resourcePath(networkAddonResource, ns, NET)),
  ]);
  return { ControlPlane: cp, WorkerPool: wp, NetworkAddon: na };
}

const isTrue = (conditions: Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type)?.status === 'True';

/**
 * Reads the three objects every POLL_MS until `done` holds; returns when each `key` (kind/condition,
 * or a milestone `extra` names) was first seen, in ms since `started`, and the last objects read. A
 * condition counts once it is seen True after having been seen not True: one True all along is not
 * listed.
 */
async function watchStatus(
  client: KubeClient,
  ns: string,
  started: number,
  done: (o: Objects) => boolean,
  extra: (o: Objects) => string[],
  timeoutMs: number,
  what: string,
): Promise<{ seen: Map<string, number>; last: Objects }> {
  const seen = new Map<string, number>();
  const notTrue = new Set<string>();
  const deadline = started + timeoutMs;
  for (;;) {
    const o = await readObjects(client, ns);
    const now = performance.now() - started;
    for (const kind of KINDS) {
      for (const type of CONDITIONS[kind]!) {
        const key = `${kind}/${type}`;
        if (!isTrue(o[kind as keyof Objects].status?.conditions, type)) notTrue.add(key);
        else if (notTrue.has(key) && !seen.has(key)) seen.set(key, now);
      }
    }
    for (const key of extra(o)) if (!seen.has(key)) seen.set(key, now);
    if (done(o)) return { seen, last: o };
    if (performance.now() > deadline) {
      const conditions = (x: { status?: { conditions?: Condition[] } }) =>
        (x.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; not True: ${KINDS.map((k) => `${k} [${conditions(o[k as keyof Objects]).join('; ')}]`).join(' ')}`);
    }
    await sleep(POLL_MS);
  }
}

// ---- One round.
interface Ssh {
  ControlPlane: HostCounts;
  WorkerPool: HostCounts;
  NetworkAddon: HostCounts;
}
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
  bringUpPhases: Map<string, Map<string, PhaseTime>>;
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

function sshOf(world: ClusterWorld): Ssh {
  return { ControlPlane: world.env.pool.counters.total(), WorkerPool: world.env.workerPool.counters.total(), NetworkAddon: world.env.networkAddonPool.counters.total() };
}
function sshSince(world: ClusterWorld, before: Ssh): Ssh {
  const now = sshOf(world);
  const minus = (a: HostCounts, b: HostCounts) => ({ connections: a.connections - b.connections, roundTrips: a.roundTrips - b.roundTrips });
  return { ControlPlane: minus(now.ControlPlane, before.ControlPlane), WorkerPool: minus(now.WorkerPool, before.WorkerPool), NetworkAddon: minus(now.NetworkAddon, before.NetworkAddon) };
}

async function labelHost(client: KubeClient, ns: string, name: string, role: string): Promise<void> {
  await client.patch(resourcePath(machineHostResource, ns, name), { metadata: { labels: { role } } }, 'application/merge-patch+json');
}

/** The world readyClusterHosts (test/support/cluster-world.ts) makes, without vitest's inject: 1 cp-1 host and 3 workers, all Ready. */
async function readyWorld(kc: KubeConfig, round: number): Promise<{ world: ClusterWorld; remove: () => Promise<void> }> {
  const namespace = `bench-nodes-${round}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const [[test, removeHosts], [env, stopEnv]] = await Promise.all([
    made(startHosts(1 + 3, { prefix: `n${round}` }), (t) => t.stop()),
    made(startControlPlaneEnv(kc, namespace), (e) => e.stop()),
  ]);
  const [registry, stopRegistry] = await made(startImageRegistry(await gatewayOf(test.network)), (r) => r.stop());
  await createKeySecret(env.client, namespace, 'ssh-key', test.keyPair.privateKey);
  const names = test.hosts.map((_, i) => (i < 1 ? `cp-${i + 1}` : `w-${i}`));
  await Promise.all(
    test.hosts.map(async (h, i) => {
      await createMachineHost(env.client, namespace, names[i]!, h);
      await labelHost(env.client, namespace, names[i]!, i < 1 ? 'control-plane' : 'worker');
    }),
  );
  await Promise.all(names.map((n) => waitForCondition(env.client, namespace, n, 'Ready', 'True', undefined, 300_000)));
  const world: ClusterWorld = { namespace, test, env, registry, hosts: new Map(names.map((n, i) => [n, test.hosts[i]!])), stop: async () => {} };
  // The controllers go before the registry and the hosts they talk to.
  const remove = async () => {
    await stopEnv();
    await stopRegistry();
    await removeHosts();
  };
  return { world, remove };
}

interface RawEvent {
  type: string;
  reason: string;
  note: string;
  series?: { count: number };
  regarding: { kind: string; name: string };
}

async function round(kc: KubeConfig, n: number): Promise<RoundResult> {
  const { world, remove } = await readyWorld(kc, n);
  const { env, namespace: ns } = world;
  const client = env.client;

  // 1. Bring-up.
  const load0 = loadavg()[0]!;
  phaseRuns = [];
  const ssh0 = sshOf(world);
  const started = performance.now();
  await Promise.all([
    createTestControlPlane(world, CP),
    createWorkerPool(client, ns, POOL, { controlPlaneRef: { name: CP }, replicas: WORKERS }),
    createNetworkAddon(client, ns, NET, { controlPlaneRef: { name: CP } }),
  ]);
  const created = performance.now() - started;
  const wanted = ['ControlPlane/Available', 'ControlPlane/NodesRegistered', 'WorkerPool/Ready', 'NetworkAddon/Ready'];
  const up = await watchStatus(
    client,
    ns,
    started,
    (o) =>
      isTrue(o.ControlPlane.status?.conditions, 'Available') &&
      isTrue(o.ControlPlane.status?.conditions, 'NodesRegistered') &&
      isTrue(o.WorkerPool.status?.conditions, 'Ready') &&
      (o.WorkerPool.status?.readyReplicas ?? 0) === WORKERS &&
      isTrue(o.NetworkAddon.status?.conditions, 'Ready'),
    (o) => [
      ...Array.from({ length: o.WorkerPool.status?.readyReplicas ?? 0 }, (_, i) => `WorkerPool readyReplicas=${i + 1}`),
      ...(o.NetworkAddon.status?.nodes ?? []).map((node) => `NetworkAddon has ${node}`),
    ],
    BRING_UP_TIMEOUT_MS,
    'the bring-up',
  );
  const bringUpMs = Math.max(...wanted.map((k) => up.seen.get(k)!));
  const bringUpSsh = sshSince(world, ssh0);
  const cut = started + bringUpMs;
  const bringUpPhases = new Map(KINDS.map((k) => [k, phaseTimes(k, started, cut)]));
  up.seen.set('objects created', created);
  console.log(
    `round ${n}: hosts Ready -> all Nodes Ready ${s(bringUpMs)} (ControlPlane Available ${s(up.seen.get('ControlPlane/Available')!)}, ` +
      `NodesRegistered ${s(up.seen.get('ControlPlane/NodesRegistered')!)}, WorkerPool Ready ${s(up.seen.get('WorkerPool/Ready')!)}, ` +
      `NetworkAddon Ready ${s(up.seen.get('NetworkAddon/Ready')!)}); pool nodes ${JSON.stringify(up.last.WorkerPool.status?.nodes)}`,
  );

  // Memory of the host that is not a Node yet, before it joins.
  const idle = await memoryOf(world.hosts.get('w-3')!);

  // 2. One added worker.
  phaseRuns = [];
  const ssh1 = sshOf(world);
  const scaleStarted = performance.now();
  await client.patch(resourcePath(workerPoolResource, ns, POOL), { spec: { replicas: WORKERS + 1 } }, 'application/merge-patch+json');
  const generation = (await getWorkerPool(client, ns, POOL)).metadata.generation ?? 0;
  const scaled = await watchStatus(
    client,
    ns,
    scaleStarted,
    (o) =>
      (o.WorkerPool.status?.observedGeneration ?? 0) >= generation &&
      o.WorkerPool.status?.readyReplicas === WORKERS + 1 &&
      isTrue(o.WorkerPool.status?.conditions, 'Ready'),
    (o) => [
      ...((o.WorkerPool.status?.observedGeneration ?? 0) >= generation ? ['WorkerPool observed the new replicas'] : []),
      ...((o.WorkerPool.status?.replicas ?? 0) > WORKERS ? ['WorkerPool replicas=3 (w-3 claimed)'] : []),
      ...((o.NetworkAddon.status?.nodes ?? []).includes('w-3') ? ['NetworkAddon has w-3'] : []),
    ],
    SCALE_TIMEOUT_MS,
    'the added worker',
  );
  const scaleMs = performance.now() - scaleStarted;
  const scaleSsh = sshSince(world, ssh1);
  const scalePhases = phaseTimes('WorkerPool', scaleStarted, scaleStarted + scaleMs);
  console.log(`round ${n}: one added worker -> readyReplicas=3, Ready ${s(scaleMs)}; pool nodes ${JSON.stringify(scaled.last.WorkerPool.status?.nodes)}`);

  // 3. Memory of a worker that has run for the whole scale-up.
  const worker = await memoryOf(world.hosts.get('w-1')!);
  console.log(`round ${n}: memory of w-1 (a worker Node) ${worker.dockerStats}; of w-3 before it joined ${idle.dockerStats}`);

  const events = (await client.list<RawEvent>(resourcePath(eventResource, ns))).items;
  const warnings = events
    .filter((e) => e.type === 'Warning' && e.regarding.kind !== 'MachineHost')
    .map((e) => `${e.regarding.kind}/${e.regarding.name} ${e.reason} x${e.series?.count ?? 1}: ${e.note}`);
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
function table(rows: string[][]): string {
  // A row of one cell is a heading and may run across the columns.
  const cells = rows.filter((r) => r.length > 1);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

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

  // Every condition and milestone, in the order of their median, with the gap from the one before.
  const keys = [...new Set(results.flatMap((r) => [...r.bringUp.keys()]))];
  const at = (key: string) => median(results.map((r) => r.bringUp.get(key) ?? NaN));
  const ordered = keys.filter((k) => Number.isFinite(at(k))).sort((a, b) => at(a) - at(b));
  const total = median(results.map((r) => r.bringUpMs));
  console.log(`\n${table([
    [`First seen True (status polled every ${POLL_MS} ms), s since the objects were created; the gap from the line before and its share of the bring-up (medians)`],
    ['', ...roundCols, med, 'gap', 'share'],
    ...ordered.map((key, i) => {
      const gap = at(key) - (i === 0 ? 0 : at(ordered[i - 1]!));
      return [`  ${key}`, ...results.map((r) => s(r.bringUp.get(key) ?? NaN)), s(at(key)), s(gap), `${((100 * gap) / total).toFixed(0)}%`];
    }),
  ])}`);

  console.log(`\n${table([
    [`Each phase's run() during the bring-up (median of ${results.length}): time in it summed over its reconciles, x runs, its share of the bring-up;`],
    ['when its first run started and its first True run ended, s since the objects were created (a status is written only at the end of a reconcile)'],
    ['', 'in run()', 'runs', 'share', 'first run', 'first True'],
    ...KINDS.flatMap((kind) => [
      [kind],
      ...[...results[0]!.bringUpPhases.get(kind)!.keys()].map((phase) => {
        const m = (f: (p: PhaseTime) => number) => median(results.map((r) => f(r.bringUpPhases.get(kind)!.get(phase)!)));
        const ms = m((p) => p.ms);
        return [`  ${phase}`, s(ms), String(m((p) => p.runs)), `${((100 * ms) / total).toFixed(0)}%`, s(m((p) => p.firstStart)), s(m((p) => p.firstTrue))];
      }),
    ]),
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

// What every benchmark on real test hosts shares: each thing it makes is registered with its removal
// while it is being made, and everything is removed on the way out (success, error, SIGINT or
// SIGTERM), newest first; and the management cluster the controllers run against. For the benchmarks
// of a whole cluster (a ControlPlane, a WorkerPool and a NetworkAddon over Ready MachineHosts): that
// world, the time each phase spends in run(), the conditions as they turn True, the SSH figures of
// each controller, and the tables they print.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Condition, ControlPlane, NetworkAddon, WorkerPool } from '../src/api/index.ts';
import { CONTROL_PLANE_PHASES } from '../src/controllers/control-plane/phases.ts';
import { NETWORK_ADDON_PHASES } from '../src/controllers/network-addon/phases.ts';
import type { Phase } from '../src/controllers/phases.ts';
import { networkAddonResource } from '../src/controllers/resources.ts';
import { WORKER_POOL_PHASES } from '../src/controllers/worker-pool/phases.ts';
import type { HostCounts, HostTime } from '../src/host/counters.ts';
import type { SshPool } from '../src/host/index.ts';
import type { KubeClient } from '../src/runtime/kube-client.ts';
import { eventResource, resourcePath } from '../src/runtime/resources.ts';
import { getWorkerPool, OUTSIDE_NAME, registerClusterHosts, type ClusterWorld } from '../test/support/cluster-world.ts';
import { getControlPlane, startControlPlaneEnv } from '../test/support/control-plane-env.ts';
import { gatewayOf, startHosts } from '../test/support/hosts.ts';
import { startImageRegistry } from '../test/support/image-registry.ts';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig, repoRoot } from '../test/support/manifests.ts';
import { startUpstreamDns } from '../test/support/upstream-dns.ts';

const undo = new Set<() => Promise<void>>();
let signalled: NodeJS.Signals | undefined;

/** Awaits `making` and returns it with its removal, which runs once, here or in removeAll(). */
export async function made<T>(making: T | Promise<T>, remove: (value: T) => unknown): Promise<[T, () => Promise<void>]> {
  const value = Promise.resolve(making);
  let removal: Promise<void> | undefined;
  const release = () =>
    (removal ??= value.then(async (v) => void (await remove(v)), () => {}).finally(() => undo.delete(release)));
  undo.add(release);
  return [await value, release];
}

let removing = Promise.resolve();
export function removeAll(): Promise<void> {
  removing = removing.then(async () => {
    while (undo.size > 0) await [...undo].at(-1)!().catch((error: unknown) => console.error(`cleanup: ${(error as Error).message}`));
  });
  return removing;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // npm forwards the signal a terminal already sent to the whole group, so a repeat is normal.
  process.on(signal, () => {
    if (signalled) return;
    signalled = signal;
    console.error(`\n${signal}: removing what the benchmark made, then exiting`);
    void removeAll().finally(() => process.exit(128 + constants.signals[signal]));
  });
}

/**
 * The last removal to run, a safety net: startHosts names its Docker network after this process, so
 * a container still on such a network is ours (a start that failed half way leaves its booted hosts).
 */
function sweepDocker(): void {
  const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
  const ours = docker('network', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`kubesmith-hosts-${process.pid}-`));
  for (const network of ours) {
    const ids = docker('network', 'inspect', '-f', '{{range $id, $c := .Containers}}{{$id}} {{end}}', network).split(' ').filter(Boolean);
    if (ids.length > 0) docker('rm', '-f', '-v', ...ids);
    docker('network', 'rm', network);
    console.error(`cleanup: removed Docker network ${network} and the ${ids.length} container(s) left on it`);
  }
}

/**
 * Docker running, the host image built, and a management API server with the CRDs, in a temporary
 * directory named with `prefix`; all of it removed with the rest.
 */
export async function benchManagementCluster(prefix: string): Promise<KubeConfig> {
  await made(undefined, sweepDocker);
  execFileSync('bash', [join(repoRoot, 'hack', 'ensure-docker.sh')], { stdio: 'inherit' });
  process.env.KUBESMITH_HOST_IMAGE = execFileSync('bash', [join(repoRoot, 'hack', 'build-host-image.sh')], { encoding: 'utf8' }).trim();
  const binDir = ensureBinaries();
  const [dir] = await made(mkdtempSync(join(tmpdir(), prefix)), (d) => rmSync(d, { recursive: true, force: true }));
  // Detached (a process group of their own), so a terminal's SIGINT does not reach them: the
  // controllers need the API server to shut down, and one still starting needs it to finish starting.
  // They are stopped by their removal; if this process dies some other way, by the 'exit' hook.
  let running = true;
  const [cluster] = await made(startManagementCluster({ dir, binDir, detached: true }), async (c) => {
    await c.stop();
    running = false;
  });
  process.once('exit', () => {
    for (const pid of running ? cluster.pids : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  });
  installCrds(binDir, cluster.kubeconfigPath);
  return loadKubeConfig(cluster.kubeconfigPath);
}

/** Runs the benchmark, then removes everything it made; an error after a signal is the signal's doing. */
export async function runBenchmark(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (!signalled) throw error;
  } finally {
    await removeAll();
  }
}

// ---- What to run: `rounds` from the first positional argument (default 3), and cluster sizes.
export interface Size {
  /** `<control planes>+<workers>`, as given. */
  label: string;
  controlPlanes: number;
  workers: number;
}

export function parseRounds(arg: string | undefined): number {
  const rounds = Number(arg ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive whole number, not ${arg}`);
  return rounds;
}

/** `1+1,3+2` as sizes. */
export function parseSizes(list: string): Size[] {
  return list.split(',').map((label) => {
    const m = /^(\d+)\+(\d+)$/.exec(label.trim());
    if (!m || Number(m[1]) < 1) throw new Error(`a size is <control planes>+<workers>, at least one control plane: not ${label}`);
    return { label: label.trim(), controlPlanes: Number(m[1]), workers: Number(m[2]) };
  });
}

// ---- Figures and tables.
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** ms as seconds, `-` for none. */
export const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');

export const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
/** The columns of `rounds` rounds and their median. */
export const roundColumns = (rounds: number) => [...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`), `median of ${rounds}`];

/** Rows as columns: the first left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  // A row of one cell is a heading and may run across the columns.
  const cells = rows.filter((r) => r.length > 1);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

// ---- A whole cluster: the names of its three objects, and each kind's conditions in the order of its
// phases, then its roll-up.
export const CLUSTER = { cp: 'bench', pool: 'workers', net: 'pods' } as const;
export const CLUSTER_KINDS = ['ControlPlane', 'WorkerPool', 'NetworkAddon'] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];
const PHASES: Record<ClusterKind, readonly Phase<never>[]> = {
  ControlPlane: CONTROL_PLANE_PHASES,
  WorkerPool: WORKER_POOL_PHASES,
  NetworkAddon: NETWORK_ADDON_PHASES,
};
export const CLUSTER_CONDITIONS: Record<ClusterKind, string[]> = {
  ControlPlane: [...CONTROL_PLANE_PHASES.map((p) => p.condition), 'Ready'],
  WorkerPool: [...WORKER_POOL_PHASES.map((p) => p.condition), 'Ready'],
  NetworkAddon: [...NETWORK_ADDON_PHASES.map((p) => p.condition), 'Ready'],
};

// ---- Time in each phase's run(). The controllers run in this process, so each phase's run() is
// timed here: wrapped, not changed. The phase lists are shared by every reconcile of their kind.
interface PhaseRun {
  kind: ClusterKind;
  phase: string;
  status: string;
  start: number;
  end: number;
}
let phaseRuns: PhaseRun[] | undefined;

/** Times every run() of the three kinds' phases from now on (once per process; later calls do nothing). */
export function recordPhaseRuns(): void {
  if (phaseRuns) return;
  const runs: PhaseRun[] = (phaseRuns = []);
  for (const kind of CLUSTER_KINDS) {
    for (const phase of PHASES[kind] as readonly Phase<unknown>[]) {
      const run = phase.run.bind(phase);
      phase.run = async (scope) => {
        const entry = { kind, phase: phase.condition, status: 'error', start: performance.now(), end: 0 };
        try {
          const outcome = await run(scope);
          entry.status = outcome.status;
          return outcome;
        } finally {
          runs.push({ ...entry, end: performance.now() });
        }
      };
    }
  }
}

export interface PhaseTime {
  /** Time in run(), summed. */
  ms: number;
  runs: number;
  /** ms since `from`: the first run's start, and the end of the first run that returned True. */
  firstStart: number;
  firstTrue: number;
}

/** The runs of `kind`'s phases that started between `from` and `to` (performance.now()), by phase. */
export function phaseTimes(kind: ClusterKind, from: number, to: number): Map<string, PhaseTime> {
  const mine = (phaseRuns ?? []).filter((r) => r.kind === kind && r.start >= from && r.start < to);
  return new Map(
    CLUSTER_CONDITIONS[kind]
      .filter((c) => c !== 'Ready')
      .map((phase) => {
        const runs = mine.filter((r) => r.phase === phase);
        const firstTrue = runs.find((r) => r.status === 'True');
        return [
          phase,
          { ms: sum(runs.map((r) => r.end - r.start)), runs: runs.length, firstStart: (runs[0]?.start ?? NaN) - from, firstTrue: (firstTrue?.end ?? NaN) - from },
        ];
      }),
  );
}

/**
 * Table rows of each kind's phases over rounds (medians): the time in run() summed over its
 * reconciles, x runs, its share of `total`, when its first run started and its first True run ended.
 */
export function phaseRows(rounds: Map<ClusterKind, Map<string, PhaseTime>>[], total: number): string[][] {
  return [
    ['', 'in run()', 'runs', 'share', 'first run', 'first True'],
    ...CLUSTER_KINDS.flatMap((kind) => [
      [kind],
      ...[...rounds[0]!.get(kind)!.keys()].map((phase) => {
        const m = (f: (p: PhaseTime) => number) => median(rounds.map((r) => f(r.get(kind)!.get(phase)!)));
        const ms = m((p) => p.ms);
        return [`  ${phase}`, seconds(ms), String(m((p) => p.runs)), percent(ms, total), seconds(m((p) => p.firstStart)), seconds(m((p) => p.firstTrue))];
      }),
    ]),
  ];
}

// ---- Status polling: the moment each condition was first seen True, and other milestones.
export interface ClusterObjects {
  ControlPlane: ControlPlane;
  WorkerPool: WorkerPool;
  NetworkAddon: NetworkAddon;
}

async function readObjects(client: KubeClient, ns: string): Promise<ClusterObjects> {
  const [cp, wp, na] = await Promise.all([
    getControlPlane(client, ns, CLUSTER.cp),
    getWorkerPool(client, ns, CLUSTER.pool),
    client.get<NetworkAddon>(resourcePath(networkAddonResource, ns, CLUSTER.net)),
  ]);
  return { ControlPlane: cp, WorkerPool: wp, NetworkAddon: na };
}

export const isTrue = (conditions: Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type)?.status === 'True';

/**
 * Reads the three objects every `pollMs` until `done` holds; returns when each `key` (kind/condition,
 * or a milestone `extra` names) was first seen, in ms since `started`, and the last objects read. A
 * condition counts once it is seen True after having been seen not True: one True all along is not
 * listed.
 */
export async function watchStatus(
  client: KubeClient,
  ns: string,
  options: {
    started: number;
    done: (o: ClusterObjects) => boolean | Promise<boolean>;
    extra: (o: ClusterObjects) => string[] | Promise<string[]>;
    timeoutMs: number;
    pollMs: number;
    what: string;
  },
): Promise<{ seen: Map<string, number>; last: ClusterObjects }> {
  const { started, done, extra, timeoutMs, pollMs, what } = options;
  const seen = new Map<string, number>();
  const notTrue = new Set<string>();
  const deadline = started + timeoutMs;
  for (;;) {
    const o = await readObjects(client, ns);
    const now = performance.now() - started;
    for (const kind of CLUSTER_KINDS) {
      for (const type of CLUSTER_CONDITIONS[kind]) {
        const key = `${kind}/${type}`;
        if (!isTrue(o[kind].status?.conditions, type)) notTrue.add(key);
        else if (notTrue.has(key) && !seen.has(key)) seen.set(key, now);
      }
    }
    for (const key of await extra(o)) if (!seen.has(key)) seen.set(key, now);
    if (await done(o)) return { seen, last: o };
    if (performance.now() > deadline) {
      const conditions = (x: { status?: { conditions?: Condition[] } }) =>
        (x.status?.conditions ?? []).filter((c) => c.status !== 'True').map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; not True: ${CLUSTER_KINDS.map((k) => `${k} [${conditions(o[k]).join('; ')}]`).join(' ')}`);
    }
    await sleep(pollMs);
  }
}

/**
 * Table rows of every condition and milestone seen in the rounds, in the order of their median: each
 * round, the median, the gap from the line before and its share of `total`.
 */
export function firstSeenRows(rounds: Map<string, number>[], total: number, label: (key: string) => string = (key) => key): string[][] {
  const keys = [...new Set(rounds.flatMap((r) => [...r.keys()]))];
  const at = (key: string) => median(rounds.map((r) => r.get(key) ?? NaN));
  const ordered = keys.filter((k) => Number.isFinite(at(k))).sort((a, b) => at(a) - at(b));
  return [
    ['', ...roundColumns(rounds.length), 'gap', 'share'],
    ...ordered.map((key, i) => {
      const gap = at(key) - (i === 0 ? 0 : at(ordered[i - 1]!));
      return [`  ${label(key)}`, ...rounds.map((r) => seconds(r.get(key) ?? NaN)), seconds(at(key)), seconds(gap), percent(gap, total)];
    }),
  ];
}

// ---- What each controller's SSH pool did.
/** Counts, and times summed over the pool's hosts; `wallMs`: the time some command was under way, `systemdWallMs` one that runs systemctl. */
export type PoolFigures = HostCounts & HostTime & { wallMs: number; systemdWallMs: number };
export type SshFigures = Record<ClusterKind, PoolFigures>;

function poolFigures(pool: SshPool): PoolFigures {
  return { ...pool.counters.total(), ...pool.counters.timeTotal(), wallMs: pool.counters.commands.read().wallMs, systemdWallMs: pool.counters.systemd.read().wallMs };
}

export function sshFigures(world: ClusterWorld): SshFigures {
  return { ControlPlane: poolFigures(world.env.pool), WorkerPool: poolFigures(world.env.workerPool), NetworkAddon: poolFigures(world.env.networkAddonPool) };
}

export function sshFiguresSince(world: ClusterWorld, before: SshFigures): SshFigures {
  const now = sshFigures(world);
  const minus = (a: PoolFigures, b: PoolFigures) => {
    const d = { ...a };
    for (const k of Object.keys(d) as (keyof PoolFigures)[]) d[k] -= b[k];
    return d;
  };
  return { ControlPlane: minus(now.ControlPlane, before.ControlPlane), WorkerPool: minus(now.WorkerPool, before.WorkerPool), NetworkAddon: minus(now.NetworkAddon, before.NetworkAddon) };
}

// ---- The world.
/**
 * The world readyClusterHosts (test/support/cluster-world.ts) makes, without vitest's inject, in a
 * namespace of its own: `controlPlanes` hosts labelled role=control-plane (`cp-N`) and `workers`
 * labelled role=worker (`w-N`), all Ready, with a fresh artifact mirror and an empty artifact cache;
 * the image registry serves `registryStorage` (default: hack/build-images.sh's).
 * Each part is registered for removal as it is made; `remove` takes it all away in order.
 */
export async function readyWorld(
  kc: KubeConfig,
  options: { namespace: string; prefix: string; controlPlanes: number; workers: number; registryStorage?: string },
): Promise<{ world: ClusterWorld; remove: () => Promise<void> }> {
  const { namespace, prefix, controlPlanes, workers, registryStorage } = options;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const [[test, removeHosts], [env, stopEnv]] = await Promise.all([
    made(startHosts(controlPlanes + workers, { prefix }), (t) => t.stop()),
    made(startControlPlaneEnv(kc, namespace), (e) => e.stop()),
  ]);
  const gateway = await gatewayOf(test.network);
  const [registry, stopRegistry] = await made(startImageRegistry(gateway, { storage: registryStorage }), (r) => r.stop());
  const [dns, stopDns] = await made(startUpstreamDns(gateway, { [OUTSIDE_NAME.name]: OUTSIDE_NAME.address }), (d) => d.stop());
  const names = await registerClusterHosts(env.client, namespace, test, controlPlanes, 300_000);
  const world: ClusterWorld = { namespace, test, env, registry, dns, hosts: new Map(names.map((n, i) => [n, test.hosts[i]!])), stop: async () => {} };
  // The controllers go before the registry and the hosts they talk to.
  const remove = async () => {
    await stopEnv();
    await stopRegistry();
    await stopDns();
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

/** The Warning Events of the namespace, but the MachineHosts', one line each. */
export async function warningEvents(client: KubeClient, ns: string): Promise<string[]> {
  const events = (await client.list<RawEvent>(resourcePath(eventResource, ns))).items;
  return events
    .filter((e) => e.type === 'Warning' && e.regarding.kind !== 'MachineHost')
    .map((e) => `${e.regarding.kind}/${e.regarding.name} ${e.reason} x${e.series?.count ?? 1}: ${e.note}`);
}

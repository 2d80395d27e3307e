// ControlPlane benchmark on real test hosts (figures, not a test):
//   npm run bench:control-plane -- [rounds=3]
// 1. For 1 and for 3 members, `rounds` times, fresh hosts and an empty artifact cache each round (so
//    the download from the loopback mirror counts): wall time from creating the ControlPlane, its
//    hosts already Ready, to Available=True, and the time spent in each phase on the way.
// 2. On the last 3-member control plane, once Available: a reconcile with nothing to change, started
//    by a nudge (an annotation change), 3 times: its SSH work, what it changed on the hosts, its time.
// Everything it makes (test hosts and their network, the management etcd and API server, temporary
// directories) is removed on the way out: after success, an error, SIGINT or SIGTERM.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { benchManagementCluster, made, runBenchmark } from './bench-world.ts';
import { CONTROL_PLANE_PHASES } from '../src/controllers/control-plane/phases.ts';
import type { SshPool } from '../src/host/index.ts';
import type { KubeClient } from '../src/runtime/kube-client.ts';
import { eventResource, resourcePath } from '../src/runtime/resources.ts';
import { createControlPlane, getControlPlane, nudgeControlPlane, startControlPlaneEnv, type ControlPlaneEnv } from '../test/support/control-plane-env.ts';
import { startHosts } from '../test/support/hosts.ts';
import { createKeySecret, waitForCondition } from '../test/support/machine-host-env.ts';
import { waitForObjectCondition } from '../test/support/object-conditions.ts';
import { waitFor } from '../test/support/wait.ts';
import { createControlPlaneHost } from '../test/e2e/control-plane/support.ts';

const rounds = Number(process.argv[2] ?? 3);
const NUDGES = 3;
const PHASES = CONTROL_PLANE_PHASES.map((p) => p.condition);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ---- Phase times. A ControlPlane's status is written once, at the end of a reconcile, so each
// condition's lastTransitionTime (1 s resolution) is the end of the reconcile that turned it True,
// the same for every phase done in that reconcile; and the operator does not log its phases. The
// controllers run in this process, so each phase's run() is timed here instead: wrapped, not changed.
interface PhaseRun {
  phase: string;
  status: string;
  start: number;
  end: number;
  roundTrips: number;
  tunnels: number;
}
let phaseRuns: PhaseRun[] = [];
let pool: SshPool | undefined;
/** SSH tunnels the ControlPlane pool opened (HTTPS to the members), which its counters do not count. */
let tunnels = 0;
const roundTrips = () => pool?.counters.total().roundTrips ?? 0;

for (const phase of CONTROL_PLANE_PHASES) {
  const run = phase.run.bind(phase);
  phase.run = async (scope) => {
    const entry = { phase: phase.condition, status: 'error', start: performance.now(), end: 0, roundTrips: roundTrips(), tunnels };
    try {
      const outcome = await run(scope);
      entry.status = outcome.status;
      return outcome;
    } finally {
      phaseRuns.push({ ...entry, end: performance.now(), roundTrips: roundTrips() - entry.roundTrips, tunnels: tunnels - entry.tunnels });
    }
  };
}

function countTunnels(env: ControlPlaneEnv): void {
  pool = env.pool;
  const open = env.pool.openTunnel.bind(env.pool);
  env.pool.openTunnel = (...args) => {
    tunnels++;
    return open(...args);
  };
}

// ---- The controller's own metrics, read in this process.
async function controllerMetric(env: ControlPlaneEnv, name: 'reconcileTotal' | 'reconcileTime', metricName?: string): Promise<number> {
  const { values } = await env.manager.metrics[name].get();
  return sum(
    values
      .filter((v) => v.labels.controller === 'controlplane' && (!metricName || (v as { metricName?: string }).metricName === metricName))
      .map((v) => v.value),
  );
}
/**
 * Reconciles ended, whatever their result. The controller counts one right after reconcile()
 * returns, which is after the status is written and the Events are recorded, so the moment this goes
 * up is the end of the reconcile, seen here to the polling interval (5 ms).
 */
const reconcilesDone = (env: ControlPlaneEnv) => controllerMetric(env, 'reconcileTotal');
/** Total seconds spent in reconcile(), as the controller measures it. */
const reconcileSeconds = (env: ControlPlaneEnv) => controllerMetric(env, 'reconcileTime', 'controller_runtime_reconcile_time_seconds_sum');

interface RawEvent {
  metadata: { name: string };
  type: string;
  reason: string;
  note: string;
  series?: { count: number };
  regarding: { kind: string };
}
/** The ControlPlane's Events (not the MachineHosts'). */
async function events(client: KubeClient, ns: string): Promise<RawEvent[]> {
  return (await client.list<RawEvent>(resourcePath(eventResource, ns))).items.filter((e) => e.regarding.kind === 'ControlPlane');
}
/** How many times an Event was recorded: a repeat within 30 min is a series count, not a new Event. */
const recorded = (e: RawEvent) => e.series?.count ?? 1;

// ---- Part 1: hosts Ready -> Available.
interface RoundResult {
  wallMs: number;
  /** Per phase: time in run() summed over the reconciles before Available, runs, when it was first True. */
  phases: Map<string, { ms: number; runs: number; trueAtMs: number }>;
  reconciles: number;
  /** Events the ControlPlane controller recorded, repeats included, all before its status write. */
  events: number;
}

async function availableRound(kc: KubeConfig, members: number, round: number, last: boolean): Promise<RoundResult> {
  const ns = `bench-cp${members}-${round}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const [[test, removeHosts], [env, stopEnv]] = await Promise.all([
    made(startHosts(members, { prefix: `b${members}r${round}` }), (t) => t.stop()),
    made(startControlPlaneEnv(kc, ns), (e) => e.stop()),
  ]);
  countTunnels(env);
  await createKeySecret(env.client, ns, 'ssh-key', test.keyPair.privateKey);
  await Promise.all(test.hosts.map((h, i) => createControlPlaneHost(env.client, ns, `cp-${i + 1}`, h)));
  await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, ns, `cp-${i + 1}`, 'Ready', 'True', undefined, 300_000)));

  phaseRuns = [];
  const started = performance.now();
  await createControlPlane(env.client, ns, 'bench', { replicas: members, artifacts: { baseURL: env.mirror.baseURL, checksumPolicy: 'Required' } });
  const cp = await waitForObjectCondition(() => getControlPlane(env.client, ns, 'bench'), 'bench', 'Available', 'True', undefined, 900_000, 100);
  const wallMs = performance.now() - started;

  // Only the reconciles up to the one that made Available True; HostsClaimed runs first in each.
  const cut = phaseRuns.find((r) => r.phase === 'Available' && r.status === 'True')!.end;
  const before = phaseRuns.filter((r) => r.start < cut);
  const phases = new Map(
    PHASES.map((phase) => {
      const mine = before.filter((r) => r.phase === phase);
      const firstTrue = mine.find((r) => r.status === 'True');
      return [phase, { ms: sum(mine.map((r) => r.end - r.start)), runs: mine.length, trueAtMs: (firstTrue?.end ?? NaN) - started }];
    }),
  );
  const reconciles = phases.get(PHASES[0]!)!.runs;
  const created = Date.parse(cp.metadata!.creationTimestamp as unknown as string);
  const transitions = PHASES.map((t) => {
    const c = cp.status?.conditions?.find((x) => x.type === t);
    return `${t} +${c ? (Date.parse(c.lastTransitionTime) - created) / 1000 : '?'}`;
  });
  const recordedEvents = await events(env.client, ns);
  const eventCount = sum(recordedEvents.map(recorded));
  console.log(`${members} member(s), round ${round}: hosts Ready -> Available ${s(wallMs)}, ${reconciles} reconcile(s), ${eventCount} Events`);
  console.log(`  lastTransitionTime of True - creationTimestamp, s (1 s resolution): ${transitions.join(', ')}`);
  for (const e of recordedEvents) if (e.type === 'Warning') console.log(`  warning event ${e.reason} x${recorded(e)}: ${e.note}`);

  if (last && members === 3) nudges = await noChangeReconciles(env, ns);
  await stopEnv();
  await removeHosts();
  return { wallMs, phases, reconciles, events: eventCount };
}

// ---- Part 2: a reconcile with nothing to do.
interface NudgeResult {
  wallMs: number;
  reconcileMs: number;
  reconciles: number;
  roundTrips: number;
  connections: number;
  tunnels: number;
  hostChanged: number;
  filesWritten: number;
  changes: string[];
  phases: Map<string, { ms: number; roundTrips: number; tunnels: number }>;
}
let nudges: NudgeResult[] = [];

async function noChangeReconciles(env: ControlPlaneEnv, ns: string): Promise<NudgeResult[]> {
  const results: NudgeResult[] = [];
  for (let i = 0; i < NUDGES; i++) {
    // Idle first: no reconcile ended and no SSH command went out for 3 s.
    let lastSeen = '';
    await waitFor('the controller to be idle', async () => {
      const seen = lastSeen;
      lastSeen = `${await reconcilesDone(env)}/${roundTrips()}`;
      return lastSeen === seen;
    }, 120_000, 3_000);
    const count0 = await reconcilesDone(env);
    const seconds0 = await reconcileSeconds(env);
    const ssh0 = env.pool.counters.total();
    const tunnels0 = tunnels;
    const events0 = new Map((await events(env.client, ns)).map((e) => [e.metadata.name, recorded(e)]));
    phaseRuns = [];
    const started = performance.now();
    await nudgeControlPlane(env.client, ns, 'bench');
    await waitFor('the nudged reconcile to end', async () => (await reconcilesDone(env)) > count0, 300_000, 5);
    const wallMs = performance.now() - started;
    const ssh = env.pool.counters.total();
    const reconcileMs = ((await reconcileSeconds(env)) - seconds0) * 1000;
    const runs = [...phaseRuns];
    const tunnelsUsed = tunnels - tunnels0;
    // Bytes written to hosts: the SSH counters count connections and commands, not bytes. File
    // content travels only on stdin of a file write (src/host/files.ts put()), which reports a
    // HostChanged Event for every write, as every other changing command does. So no HostChanged
    // recorded in this reconcile means no byte of file content was sent.
    const changes = (await events(env.client, ns))
      .filter((e) => e.reason === 'HostChanged' && recorded(e) > (events0.get(e.metadata.name) ?? 0))
      .flatMap((e) => Array<string>(recorded(e) - (events0.get(e.metadata.name) ?? 0)).fill(e.note));
    await sleep(1000);
    results.push({
      wallMs,
      reconcileMs,
      // More than 1 means another reconcile ran in the same window and the figures include it.
      reconciles: (await reconcilesDone(env)) - count0,
      roundTrips: ssh.roundTrips - ssh0.roundTrips,
      connections: ssh.connections - ssh0.connections,
      tunnels: tunnelsUsed,
      hostChanged: changes.length,
      filesWritten: changes.filter((c) => /^[^:]+: (wrote|set) \//.test(c)).length,
      changes,
      phases: new Map(
        PHASES.map((p) => {
          const mine = runs.filter((r) => r.phase === p);
          return [p, { ms: sum(mine.map((r) => r.end - r.start)), roundTrips: sum(mine.map((r) => r.roundTrips)), tunnels: sum(mine.map((r) => r.tunnels)) }];
        }),
      ),
    });
    const r = results.at(-1)!;
    console.log(
      `no-change reconcile ${i + 1}: nudge -> done ${r.wallMs.toFixed(0)} ms (reconcile ${r.reconcileMs.toFixed(0)} ms), ` +
        `${r.roundTrips} round trips, ${r.tunnels} tunnels, ${r.hostChanged} HostChanged${r.changes.length ? `: ${r.changes.join('; ')}` : ''}`,
    );
  }
  return results;
}

// ---- Output.
function table(rows: string[][]): string {
  // A row of one cell is a heading and may run across the columns.
  const cells = rows.filter((r) => r.length > 1);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

function report(results: Map<number, RoundResult[]>): void {
  const counts = [...results.keys()];
  const label = (m: number) => `${m} member${m > 1 ? 's' : ''}`;
  const col = (f: (x: RoundResult) => number, format: (x: number) => string = String) => counts.map((m) => format(median(results.get(m)!.map(f))));
  console.log(`\n${table([
    ['Hosts Ready -> Available=True', ...counts.map(label)],
    ...Array.from({ length: rounds }, (_, i) => [`  round ${i + 1}`, ...counts.map((m) => s(results.get(m)![i]!.wallMs))]),
    [`  median of ${rounds}`, ...col((x) => x.wallMs, s)],
    ['  reconciles on the way (median)', ...col((x) => x.reconciles)],
    ['  Events recorded on the way (median)', ...col((x) => x.events)],
  ])}`);
  const outside = (x: RoundResult) => x.wallMs - sum([...x.phases.values()].map((p) => p.ms));
  console.log(`\n${table([
    [`Phases, median of ${rounds}: time in run() summed over those reconciles, x runs; True at: since creation`],
    ['', ...counts.flatMap((m) => [`${label(m)}: in run()`, 'True at'])],
    ...PHASES.map((p) => [
      `  ${p}`,
      ...counts.flatMap((m) => {
        const ph = results.get(m)!.map((x) => x.phases.get(p)!);
        return [`${s(median(ph.map((x) => x.ms)))} x${median(ph.map((x) => x.runs))}`, s(median(ph.map((x) => x.trueAtMs)))];
      }),
    ]),
    ['  outside run(): Events, status write, queue', ...counts.flatMap((m) => [s(median(results.get(m)!.map(outside))), ''])],
  ])}`);
  if (nudges.length === 0) return;
  const m = (f: (n: NudgeResult) => number, unit = '') => [`${median(nudges.map(f)).toFixed(0)}${unit}`, nudges.map((n) => f(n).toFixed(0)).join(', ')];
  console.log(`\n${table([
    [`No-change reconcile of 3 members after Available, ${NUDGES} nudges`, 'median', 'each'],
    ['  nudge -> reconcile ended (reconcile counter, polled every 5 ms)', ...m((n) => n.wallMs, ' ms')],
    ['  in reconcile() (the controller histogram)', ...m((n) => n.reconcileMs, ' ms')],
    ['  reconciles that ended in the window (1 expected)', ...m((n) => n.reconciles)],
    ['  SSH round trips (pool counters)', ...m((n) => n.roundTrips)],
    ['  new SSH connections', ...m((n) => n.connections)],
    ['  SSH tunnels opened (HTTPS to the members)', ...m((n) => n.tunnels)],
    ['  HostChanged Events (0 = no file content sent)', ...m((n) => n.hostChanged)],
    ['  of which files written', ...m((n) => n.filesWritten)],
  ])}`);
  const p = (name: string, f: (x: { ms: number; roundTrips: number; tunnels: number }) => number) => median(nudges.map((n) => f(n.phases.get(name)!)));
  console.log(`\n${table([
    ['Its phases, median', 'time in run()', 'round trips', 'tunnels'],
    ...PHASES.map((name) => [`  ${name}`, `${p(name, (x) => x.ms).toFixed(0)} ms`, String(p(name, (x) => x.roundTrips)), String(p(name, (x) => x.tunnels))]),
  ])}`);
}

// ---- Main.
async function main(): Promise<void> {
  const invoked = process.env.npm_lifecycle_event === 'bench:control-plane' ? 'npm run bench:control-plane --' : 'node hack/bench-control-plane.ts';
  console.log(`$ ${invoked} ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`# ${new Date().toISOString()}, ${cpus().length} cores, rounds=${rounds}; each round: fresh hosts, empty artifact cache\n`);
  const kc = await benchManagementCluster('kubesmith-bench-cp-');
  const results = new Map<number, RoundResult[]>();
  for (const members of [1, 3]) {
    results.set(members, []);
    for (let round = 1; round <= rounds; round++) results.get(members)!.push(await availableRound(kc, members, round, round === rounds));
  }
  report(results);
}

await runBenchmark(main);

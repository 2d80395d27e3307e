// Whole-cluster bring-up benchmark on real test hosts (figures, not a test):
//   npm run bench:cluster -- [rounds=3] [--sizes 1+1,3+2]
// A size is `<control planes>+<workers>`. Rounds alternate the sizes (1+1, 3+2, 1+1, ...), each size
// `rounds` times. Each round: fresh hosts, an empty artifact cache, the test image registry and the
// hosts' upstream DNS on the hosts' network gateway; every MachineHost Ready first (not timed).
// Timed: from creating a ControlPlane (replicas = control planes), a WorkerPool (replicas = workers)
// and a flannel vxlan NetworkAddon at once, until every Node is Ready (listed by the bench through the
// admin kubeconfig the ControlPlane publishes) and cluster DNS serves (ControlPlane CoreDNSReady: two
// CoreDNS replicas Ready), with ControlPlane Available and NodesRegistered, WorkerPool Ready and
// NetworkAddon Ready. Printed per size: the total (each round, median, target); when each condition
// of the three objects first turned True (status polled every 200 ms); the time each phase spent in
// run(); the share of the bring-up's wall time the operator was waiting on SSH commands (of which
// systemctl), artifact downloads and cluster API requests; each controller's SSH round trips and
// bytes pushed.
// Everything it makes (test hosts and their network, the image registry, the upstream DNS, the
// management etcd and API server, temporary directories) is removed on the way out: after success, an
// error, SIGINT or SIGTERM.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  benchManagementCluster,
  CLUSTER,
  CLUSTER_CONDITIONS,
  CLUSTER_KINDS,
  firstSeenRows,
  isTrue,
  median,
  parseRounds,
  parseSizes,
  percent,
  phaseRows,
  phaseTimes,
  readyWorld,
  recordPhaseRuns,
  roundColumns,
  runBenchmark,
  seconds,
  sshFigures,
  sshFiguresSince,
  table,
  warningEvents,
  watchStatus,
  type ClusterKind,
  type ClusterObjects,
  type PhaseTime,
  type PoolFigures,
  type Size,
  type SshFigures,
} from './bench-world.ts';
import { processDownloads } from '../src/artifacts/index.ts';
import { busySince, processSsh, type Busy } from '../src/host/counters.ts';
import type { KubeClient } from '../src/runtime/kube-client.ts';
import { resourcePath, secretResource } from '../src/runtime/resources.ts';
import { processWorkloadApi } from '../src/workload/api.ts';
import { createNetworkAddon, createTestControlPlane, createWorkerPool, type ClusterWorld } from '../test/support/cluster-world.ts';

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { sizes: { type: 'string', default: '1+1,3+2' } } });
const rounds = parseRounds(positionals[0]);
const SIZES = parseSizes(flags.sizes);
/** What the bring-up should take on this 2-core machine. */
const TARGET_MS: Record<string, number> = { '1+1': 45_000, '3+2': 90_000 };
const POLL_MS = 200;
/** How often the bench lists the Nodes once they are registered (it loads the cluster's API server too). */
const NODES_POLL_MS = 500;
const BRING_UP_TIMEOUT_MS = 900_000;
const { cp: CP, pool: POOL, net: NET } = CLUSTER;
const WANTED = ['ControlPlane/Available', 'ControlPlane/NodesRegistered', 'ControlPlane/CoreDNSReady', 'WorkerPool/Ready', 'NetworkAddon/Ready'];
const EVERY_NODE_READY = 'every Node Ready (Nodes listed by the bench)';

recordPhaseRuns();

// ---- What the operator (every controller in this process) waited on.
interface Operator {
  ssh: Busy;
  systemd: Busy;
  downloads: Busy;
  downloadBytes: number;
  api: Busy;
}

function operatorClocks(): Operator {
  return {
    ssh: processSsh.commands.read(),
    systemd: processSsh.systemd.read(),
    downloads: processDownloads.time.read(),
    downloadBytes: processDownloads.bytes,
    api: processWorkloadApi.read(),
  };
}

function operatorSince(before: Operator): Operator {
  const now = operatorClocks();
  return {
    ssh: busySince(now.ssh, before.ssh),
    systemd: busySince(now.systemd, before.systemd),
    downloads: busySince(now.downloads, before.downloads),
    downloadBytes: now.downloadBytes - before.downloadBytes,
    api: busySince(now.api, before.api),
  };
}

// ---- The Nodes, as the cluster's admin sees them: listed with the kubeconfig the ControlPlane publishes.
class NodeWatch {
  readonly #client: KubeClient;
  readonly #ns: string;
  #core: CoreV1Api | undefined;
  #next = 0;
  ready = 0;
  total = 0;

  constructor(client: KubeClient, ns: string) {
    this.#client = client;
    this.#ns = ns;
  }

  /** Lists the Nodes at most every NODES_POLL_MS; a cluster API that does not answer yet leaves the counts as they were. */
  async poll(): Promise<void> {
    if (performance.now() < this.#next) return;
    this.#next = performance.now() + NODES_POLL_MS;
    try {
      if (!this.#core) {
        const secret = await this.#client.get<V1Secret>(resourcePath(secretResource, this.#ns, `${CP}-kubeconfig`));
        const kc = new KubeConfig();
        kc.loadFromString(Buffer.from(secret.data!.value!, 'base64').toString('utf8'));
        this.#core = kc.makeApiClient(CoreV1Api);
      }
      const nodes = (await this.#core.listNode()).items;
      this.total = nodes.length;
      this.ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    } catch {
      // Not published or not serving yet: the next poll asks again.
    }
  }
}

/** What each host's node units say, for a bring-up that did not finish. */
async function printHostUnits(world: ClusterWorld): Promise<void> {
  for (const [name, host] of world.hosts) {
    const out = await host.run('systemctl is-active containerd kubelet kube-proxy | paste -sd " "; journalctl -u kubelet --no-pager -o cat -n 15').catch((e: unknown) => ({ stdout: String(e) }));
    console.error(`--- ${name}: containerd kubelet kube-proxy ${out.stdout.trimEnd()}`);
  }
}

// ---- One round.
interface RoundResult {
  size: Size;
  /** ms since creation: kind/condition and milestones, first seen. */
  seen: Map<string, number>;
  totalMs: number;
  phases: Map<ClusterKind, Map<string, PhaseTime>>;
  ssh: SshFigures;
  operator: Operator;
  /** The wall time the operator figures cover: creation to the moment the bring-up was seen complete. */
  windowMs: number;
}

async function round(kc: KubeConfig, n: number, size: Size): Promise<RoundResult> {
  const { controlPlanes, workers } = size;
  const nodes = controlPlanes + workers;
  const { world, remove } = await readyWorld(kc, { namespace: `bench-cluster-${n}`, prefix: `c${n}`, controlPlanes, workers });
  const { env, namespace: ns } = world;
  const client = env.client;
  const load0 = loadavg()[0]!;

  const ssh0 = sshFigures(world);
  const operator0 = operatorClocks();
  const started = performance.now();
  await Promise.all([
    createTestControlPlane(world, CP, { replicas: controlPlanes }),
    createWorkerPool(client, ns, POOL, { controlPlaneRef: { name: CP }, replicas: workers }),
    createNetworkAddon(client, ns, NET, { controlPlaneRef: { name: CP }, provider: 'flannel', flannel: { backend: 'vxlan' } }),
  ]);
  const created = performance.now() - started;
  const nodeWatch = new NodeWatch(client, ns);
  const conditionsDone = (o: ClusterObjects) =>
    ['Available', 'NodesRegistered', 'CoreDNSReady'].every((c) => isTrue(o.ControlPlane.status?.conditions, c)) &&
    isTrue(o.WorkerPool.status?.conditions, 'Ready') &&
    (o.WorkerPool.status?.readyReplicas ?? 0) === workers &&
    isTrue(o.NetworkAddon.status?.conditions, 'Ready');
  const up = await watchStatus(client, ns, {
    started,
    async extra(o) {
      if (isTrue(o.ControlPlane.status?.conditions, 'NodesRegistered') || conditionsDone(o)) await nodeWatch.poll();
      return [
        ...Array.from({ length: o.WorkerPool.status?.readyReplicas ?? 0 }, (_, i) => `WorkerPool readyReplicas=${i + 1}`),
        ...(o.NetworkAddon.status?.nodes ?? []).map((node) => `NetworkAddon has ${node}`),
        ...Array.from({ length: nodeWatch.ready }, (_, i) => `${i + 1} of ${nodes} Nodes Ready`),
        ...(nodeWatch.ready === nodes && nodeWatch.total === nodes ? [EVERY_NODE_READY] : []),
      ];
    },
    done: (o) => conditionsDone(o) && nodeWatch.ready === nodes && nodeWatch.total === nodes,
    timeoutMs: BRING_UP_TIMEOUT_MS,
    pollMs: POLL_MS,
    what: `the bring-up of ${size.label}`,
  }).catch(async (error: unknown) => {
    await printHostUnits(world);
    throw error;
  });
  const windowMs = performance.now() - started;
  const operator = operatorSince(operator0);
  const ssh = sshFiguresSince(world, ssh0);
  const totalMs = Math.max(...[...WANTED, EVERY_NODE_READY].map((k) => up.seen.get(k)!));
  const phases = new Map(CLUSTER_KINDS.map((k) => [k, phaseTimes(k, started, started + totalMs)]));
  up.seen.set('objects created', created);

  const at = (key: string) => seconds(up.seen.get(key) ?? NaN);
  console.log(
    `round ${n} (${size.label}): every Node Ready and CoreDNSReady ${seconds(totalMs)} (ControlPlane Available ${at('ControlPlane/Available')}, ` +
      `NodesRegistered ${at('ControlPlane/NodesRegistered')}, CoreDNSReady ${at('ControlPlane/CoreDNSReady')}, WorkerPool Ready ${at('WorkerPool/Ready')}, ` +
      `NetworkAddon Ready ${at('NetworkAddon/Ready')}, every Node Ready ${at(EVERY_NODE_READY)})`,
  );
  for (const w of await warningEvents(client, ns)) console.log(`  warning event ${w}`);
  // Another heavy job on this machine (e2e tests) slows every figure; the load shows it.
  console.log(`round ${n}: 1-minute load average ${load0.toFixed(1)} at the start of the bring-up, ${loadavg()[0]!.toFixed(1)} at its end (${cpus().length} cores)`);
  await remove();
  return { size, seen: up.seen, totalMs, phases, ssh, operator, windowMs };
}

// ---- Output.
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function report(size: Size, results: RoundResult[]): void {
  const target = TARGET_MS[size.label];
  const columns = roundColumns(results.length);
  const total = median(results.map((r) => r.totalMs));
  const verdict = target === undefined ? '' : total <= target ? 'within target' : `over by ${seconds(total - target)}`;
  console.log(`\n======== ${size.controlPlanes} control plane${size.controlPlanes > 1 ? 's' : ''} + ${size.workers} worker${size.workers === 1 ? '' : 's'} (${size.label})`);
  console.log(`\n${table([
    ['Objects created -> every Node Ready and cluster DNS serving', ...columns, 'target', ''],
    ['  total', ...results.map((r) => seconds(r.totalMs)), seconds(total), seconds(target ?? NaN), verdict],
  ])}`);

  const conditionKeys = new Set(CLUSTER_KINDS.flatMap((k) => CLUSTER_CONDITIONS[k].map((c) => `${k}/${c}`)));
  console.log(`\n${table([
    [`First seen True (status polled every ${POLL_MS} ms; Nodes listed every ${NODES_POLL_MS / 1000} s once registered), s since the objects were created;`],
    ['the gap from the line before and its share of the total (medians); milestones in brackets'],
    ...firstSeenRows(
      results.map((r) => r.seen),
      total,
      (key) => (conditionKeys.has(key) ? key : `[${key}]`),
    ),
  ])}`);

  console.log(`\n${table([
    [`Each phase's run() (median of ${results.length}): time in it summed over its reconciles, x runs, its share of the total;`],
    ['when its first run started and its first True run ended, s since the objects were created'],
    ...phaseRows(
      results.map((r) => r.phases),
      total,
    ),
  ])}`);

  const busyRow = (label: string, f: (o: Operator) => Busy, extra = '') => {
    const m = (g: (b: Busy, r: RoundResult) => number) => median(results.map((r) => g(f(r.operator), r)));
    return [
      `  ${label}`,
      ...results.map((r) => percent(f(r.operator).wallMs, r.windowMs)),
      percent(m((b, r) => b.wallMs / r.windowMs), 1),
      seconds(m((b) => b.wallMs)),
      seconds(m((b) => b.ms)),
      String(m((b) => b.ops)),
      extra,
    ];
  };
  console.log(`\n${table([
    ['Share of the operator\'s wall time (creation -> the bring-up seen complete) during which at least one of these was under way;'],
    ['the shares overlap (the controllers wait on several things at once); "summed" adds up every operation\'s own time'],
    ['', ...columns, 'wall', 'summed', 'count', 'received'],
    busyRow('SSH commands, every controller (exec round trips, time in commands)', (o) => o.ssh),
    busyRow('  of which commands that run systemctl', (o) => o.systemd),
    busyRow('artifact downloads from the mirror (sum files and artifacts)', (o) => o.downloads, mib(median(results.map((r) => r.operator.downloadBytes)))),
    busyRow('cluster API requests (WorkloadApi, over the SSH tunnel)', (o) => o.api),
  ])}`);

  const sshCell = (f: (p: PoolFigures) => string) => (kind: ClusterKind) => [`  ${kind}`, ...results.map((r) => f(r.ssh[kind]))];
  const medianOf = (kind: ClusterKind, f: (p: PoolFigures, r: RoundResult) => number) => median(results.map((r) => f(r.ssh[kind], r)));
  console.log(`\n${table([
    [`SSH of each controller's pool (median of ${results.length}); round trips / new connections per round`],
    ['', ...columns.slice(0, -1), 'round trips', 'in commands', 'wall share', 'systemctl wall', 'bytes pushed'],
    ...CLUSTER_KINDS.map((kind) => [
      ...sshCell((p) => `${p.roundTrips} / ${p.connections}`)(kind),
      String(medianOf(kind, (p) => p.roundTrips)),
      seconds(medianOf(kind, (p) => p.busyMs)),
      percent(medianOf(kind, (p, r) => p.wallMs / r.windowMs), 1),
      seconds(medianOf(kind, (p) => p.systemdWallMs)),
      mib(medianOf(kind, (p) => p.bytesSent)),
    ]),
  ])}`);
}

// ---- Main.
async function main(): Promise<void> {
  const invoked = process.env.npm_lifecycle_event === 'bench:cluster' ? 'npm run bench:cluster --' : 'node hack/bench-cluster.ts';
  console.log(`$ ${invoked} ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(
    `# ${new Date().toISOString()}, ${cpus().length} cores, rounds=${rounds}, sizes ${SIZES.map((s) => s.label).join(', ')} (control planes + workers), ` +
      'flannel vxlan; each round: fresh hosts, empty artifact cache\n',
  );
  const kc = await benchManagementCluster('kubesmith-bench-cluster-');
  const results = new Map<string, RoundResult[]>(SIZES.map((s) => [s.label, []]));
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (const size of SIZES) results.get(size.label)!.push(await round(kc, ++n, size));
  }
  for (const size of SIZES) report(size, results.get(size.label)!);
  console.log(`\n${table([
    ['Summary', 'median', 'target', ''],
    ...SIZES.map((size) => {
      const m = median(results.get(size.label)!.map((r) => r.totalMs));
      const target = TARGET_MS[size.label];
      return [`  ${size.label}`, seconds(m), seconds(target ?? NaN), target === undefined ? '' : m <= target ? 'within target' : `over by ${seconds(m - target)}`];
    }),
  ])}`);
}

await runBenchmark(main);

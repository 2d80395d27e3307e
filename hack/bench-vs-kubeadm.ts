// kubesmith side by side with kubeadm on identical fresh hosts (figures, not a test):
//   npm run bench:vs-kubeadm -- [rounds=3] [--sizes 1+1,3+2] [--no-cis]
// A size is `<control planes>+<workers>`; --only kubesmith|kubeadm runs one path alone. For each round and size both paths run, one after the
// other, alternating which goes first. Each run: fresh hosts made Ready by the MachineHost controller
// (host prep, not timed), the same artifact mirror with an empty cache, the same image registry
// (hack/kubeadm/build.sh's: the test images and kubeadm's) and the same flannel vxlan pod network.
//   kubesmith: a ControlPlane, a WorkerPool and a NetworkAddon created at once (hack/bench-cluster.ts
//   shows where its time goes);
//   kubeadm: hack/kubeadm/baseline.ts, init, joins and all, over SSH from this process.
// Timed, for both alike: from the start until the cluster's own API (through its admin kubeconfig)
// lists every Node Ready and the coredns Deployment in kube-system has two Ready replicas. Counted:
// SSH round trips, connections and bytes pushed (commands' input, mostly binaries; images pulled
// from the registry are not in it), of kubesmith's three cluster controllers or of the admin script.
// After the bring-up: the resident memory of each host's processes, and in the
// first round of the first size kube-bench (hack/kube-bench.ts, CIS 1.12) on a control plane and a
// worker of each cluster. Everything made is removed on the way out.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Secret } from '@kubernetes/client-node';
import {
  benchManagementCluster,
  CLUSTER,
  made,
  median,
  parseRounds,
  parseSizes,
  readyWorld,
  runBenchmark,
  seconds,
  sshFigures,
  sshFiguresSince,
  table,
  type Size,
} from './bench-world.ts';
import { kubeadmCluster } from './kubeadm/baseline.ts';
import { formatKubeBench, runKubeBench, type KubeBenchReport } from './kube-bench.ts';
import { ArtifactCache } from '../src/artifacts/index.ts';
import { sha256OfFile } from '../src/artifacts/sha256.ts';
import { SshPool } from '../src/host/index.ts';
import { resourcePath, secretResource } from '../src/runtime/resources.ts';
import { createNetworkAddon, createTestControlPlane, createWorkerPool, type ClusterWorld } from '../test/support/cluster-world.ts';
import { KUBERNETES_VERSION } from '../test/support/control-plane-env.ts';
import { loginOf } from '../test/support/hosts.ts';
import { repoRoot } from '../test/support/manifests.ts';
import { waitFor } from '../test/support/wait.ts';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { sizes: { type: 'string', default: '1+1,3+2' }, 'no-cis': { type: 'boolean', default: false }, only: { type: 'string' } },
});
const rounds = parseRounds(positionals[0]);
const SIZES = parseSizes(flags.sizes);
const PATHS = ['kubesmith', 'kubeadm'] as const;
type Path = (typeof PATHS)[number];
if (flags.only !== undefined && !PATHS.includes(flags.only as Path)) throw new Error(`--only takes kubesmith or kubeadm, not ${flags.only}`);
/** The paths run: both, or the one --only names (to look at one without the other's time). */
const RUN: readonly Path[] = flags.only ? [flags.only as Path] : PATHS;
const BRING_UP_TIMEOUT_MS = 900_000;
const POLL_MS = 500;

interface RunResult {
  path: Path;
  size: Size;
  totalMs: number;
  /** When every Node was first seen Ready. */
  nodesReadyMs: number;
  roundTrips: number;
  connections: number;
  bytesSent: number;
  /** MiB per host, control planes first. */
  memory: number[];
  cis?: { controlPlane: KubeBenchReport; worker?: KubeBenchReport };
}

/** Whether the cluster's API lists `nodes` Nodes, all Ready; and two Ready CoreDNS replicas. */
async function clusterState(kubeconfig: string, nodes: number): Promise<{ nodesReady: boolean; dnsReady: boolean }> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const [list, dns] = await Promise.all([
    kc.makeApiClient(CoreV1Api).listNode().then((l) => l.items, () => []),
    kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' }).catch(() => undefined),
  ]);
  const ready = list.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  return { nodesReady: list.length === nodes && ready === nodes, dnsReady: (dns?.status?.readyReplicas ?? 0) >= 2 };
}

/** What the pods and each host's kubelet say, for a bring-up that did not finish. */
async function diagnose(world: ClusterWorld): Promise<void> {
  const [first, ...others] = [...world.hosts.values()];
  const kubectl = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
  // The logs of every pod not Running and Ready, and of flannel's (Ready does not mean it has a lease).
  const notReady = `awk '{ split($3, r, "/"); if ($4 != "Running" || r[1] != r[2] || $1 == "kube-flannel") print $1 "/" $2 }'`;
  const pods = await first!.run(
    `${kubectl} get pods -A -o wide; ${kubectl} get events -A --field-selector type=Warning | tail -n 20; ` +
      `for p in $(${kubectl} get pods -A --no-headers | ${notReady}); do ` +
      `echo "--- logs of $p"; ${kubectl} logs -n "\${p%%/*}" "\${p#*/}" --all-containers --tail 15 2>&1; done`,
  );
  console.error(`--- pods and warning events, from ${first!.name}:\n${pods.stdout}${pods.stderr}`);
  for (const host of [first!, ...others]) {
    const out = await host.run('systemctl is-active containerd kubelet | paste -sd " "; journalctl -u kubelet --no-pager -o cat -n 15');
    console.error(`--- ${host.name}: containerd kubelet ${out.stdout.trimEnd()}`);
  }
}

/** The resident memory of every process on each host, summed (shared pages once per process), in MiB. */
async function hostMemory(world: ClusterWorld): Promise<number[]> {
  return Promise.all(
    [...world.hosts.values()].map(async (h) => {
      const { stdout } = await h.run("ps -e -o rss= | awk '{ kib += $1 } END { print kib }'");
      return Number(stdout.trim()) / 1024;
    }),
  );
}

/** Puts hack/kubeadm/build.sh's kubeadm on the world's mirror, laid out as dl.k8s.io's. */
function serveKubeadm(world: ClusterWorld, kubeadm: string, sha256: string): void {
  const dir = join(world.env.mirror.root, 'release', KUBERNETES_VERSION, 'bin', 'linux', 'amd64');
  symlinkSync(kubeadm, join(dir, 'kubeadm'));
  writeFileSync(join(dir, 'kubeadm.sha256'), `${sha256}\n`);
}

/** Creates the three objects; returns the admin kubeconfig once the ControlPlane publishes it. */
async function kubesmithRun(world: ClusterWorld, size: Size): Promise<string> {
  const { env, namespace: ns } = world;
  await Promise.all([
    createTestControlPlane(world, CLUSTER.cp, { replicas: size.controlPlanes }),
    createWorkerPool(env.client, ns, CLUSTER.pool, { controlPlaneRef: { name: CLUSTER.cp }, replicas: size.workers }),
    createNetworkAddon(env.client, ns, CLUSTER.net, { controlPlaneRef: { name: CLUSTER.cp }, provider: 'flannel', flannel: { backend: 'vxlan' } }),
  ]);
  let kubeconfig = '';
  await waitFor(
    'the ControlPlane to publish its admin kubeconfig',
    async () => {
      const secret = await env.client.get<V1Secret>(resourcePath(secretResource, ns, `${CLUSTER.cp}-kubeconfig`)).catch(() => undefined);
      kubeconfig = secret?.data?.value ? Buffer.from(secret.data.value, 'base64').toString('utf8') : '';
      return kubeconfig !== '';
    },
    BRING_UP_TIMEOUT_MS,
    POLL_MS,
  );
  return kubeconfig;
}

async function run(kc: KubeConfig, n: number, size: Size, path: Path, built: Built, cis: boolean): Promise<RunResult> {
  const nodes = size.controlPlanes + size.workers;
  const { world, remove } = await readyWorld(kc, {
    namespace: `vs-${path}-${n}`,
    prefix: `${path === 'kubesmith' ? 's' : 'a'}${n}`,
    controlPlanes: size.controlPlanes,
    workers: size.workers,
    registryStorage: built.registry,
  });
  serveKubeadm(world, built.kubeadm, built.kubeadmSha256);
  const hosts = [...world.hosts.values()];
  // The admin script's SSH pool and artifact cache go with the run, after a failure too.
  const [pool, disposePool] = await made(new SshPool(), (p) => p.dispose());
  const [cacheDir, removeCache] = await made(mkdtempSync(join(tmpdir(), 'kubesmith-kubeadm-cache-')), (d) => rmSync(d, { recursive: true, force: true }));
  const ssh0 = sshFigures(world);

  const started = performance.now();
  let nodesReadyMs: number | undefined;
  // The cluster is watched from the moment its admin kubeconfig exists, while the bring-up goes on.
  const admin = Promise.withResolvers<string>();
  const bringUp =
    path === 'kubesmith'
      ? kubesmithRun(world, size).then(admin.resolve)
      : kubeadmCluster({
          version: KUBERNETES_VERSION,
          hosts: [...world.hosts].map(([name, h]) => ({ name, ip: h.address, target: loginOf(h) })),
          controlPlanes: size.controlPlanes,
          registry: world.registry.host,
          artifactsBaseURL: world.env.mirror.baseURL,
          artifacts: new ArtifactCache({ dir: cacheDir }),
          pool,
          log: (line) => console.log(`  ${seconds(performance.now() - started)} ${line}`),
          onAdminKubeconfig: admin.resolve,
        });
  const up = admin.promise.then((text) =>
    waitFor(
      `every Node Ready and two CoreDNS replicas Ready (${path}, ${size.label})`,
      async () => {
        const state = await clusterState(text, nodes);
        if (state.nodesReady) nodesReadyMs ??= performance.now() - started;
        return state.nodesReady && state.dnsReady;
      },
      BRING_UP_TIMEOUT_MS,
      POLL_MS,
    ),
  );
  // A bring-up that fails before the kubeconfig exists fails the wait too.
  bringUp.catch(admin.reject);
  await Promise.all([bringUp, up]).catch(async (error: unknown) => {
    await diagnose(world);
    throw error;
  });
  const totalMs = performance.now() - started;

  let counts: { roundTrips: number; connections: number; bytesSent: number };
  if (path === 'kubesmith') {
    const d = sshFiguresSince(world, ssh0);
    const pools = [d.ControlPlane, d.WorkerPool, d.NetworkAddon];
    counts = {
      roundTrips: pools.reduce((a, p) => a + p.roundTrips, 0),
      connections: pools.reduce((a, p) => a + p.connections, 0),
      bytesSent: pools.reduce((a, p) => a + p.bytesSent, 0),
    };
  } else {
    counts = { ...pool.counters.total(), bytesSent: pool.counters.timeTotal().bytesSent };
  }
  await disposePool();
  const memory = await hostMemory(world);
  console.log(
    `round ${n} ${path} (${size.label}): ${seconds(totalMs)} (every Node Ready ${seconds(nodesReadyMs ?? NaN)}), ${counts.roundTrips} SSH round trips over ${counts.connections} connections, ` +
      `${(counts.bytesSent / 1024 ** 2).toFixed(1)} MiB pushed; host memory ${memory.map((m) => `${m.toFixed(0)} MiB`).join(', ')}`,
  );
  let cisReports: RunResult['cis'];
  if (cis) {
    const layout = path;
    const worker = hosts[size.controlPlanes];
    cisReports = {
      controlPlane: await runKubeBench(hosts[0]!, { layout, role: 'control-plane' }),
      ...(worker ? { worker: await runKubeBench(worker, { layout, role: 'worker' }) } : {}),
    };
  }
  await removeCache();
  await remove();
  return { path, size, totalMs, nodesReadyMs: nodesReadyMs ?? NaN, ...counts, memory, cis: cisReports };
}

interface Built {
  kubeadm: string;
  kubeadmSha256: string;
  registry: string;
}

async function build(): Promise<Built> {
  const out = execFileSync('bash', [join(repoRoot, 'hack', 'kubeadm', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const value = (key: string) => new RegExp(`^${key}=(.+)$`, 'm').exec(out)?.[1] ?? '';
  const kubeadm = value('kubeadm');
  return { kubeadm, kubeadmSha256: await sha256OfFile(kubeadm), registry: value('registry') };
}

// ---- Output.
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function report(size: Size, results: RunResult[]): void {
  const of = (path: Path) => results.filter((r) => r.path === path);
  const m = (path: Path, f: (r: RunResult) => number) => median(of(path).map(f));
  const both = RUN.length === PATHS.length;
  const n = of(RUN[0]!).length;
  const row = (label: string, f: (r: RunResult) => number, show: (x: number) => string) => [
    label,
    ...RUN.flatMap((p) => [of(p).map((r) => show(f(r))).join(' '), show(m(p, f))]),
    ...(both ? [(m('kubesmith', f) / m('kubeadm', f)).toFixed(2)] : []),
  ];
  const roles = [...Array.from({ length: size.controlPlanes }, () => 'control plane'), ...Array.from({ length: size.workers }, () => 'worker')];
  const memoryOf = (role: string) => (r: RunResult) => median(r.memory.filter((_, i) => roles[i] === role));
  const mibs = (x: number) => `${x.toFixed(0)} MiB`;
  console.log(`\n======== ${size.label} (control planes + workers), ${n} round${n === 1 ? '' : 's'} each`);
  console.log(
    table([
      ['', ...RUN.flatMap((p) => [`${p}, each round`, `median of ${n}`]), ...(both ? ['kubesmith / kubeadm'] : [])],
      row('start -> every Node Ready and two CoreDNS Ready', (r) => r.totalMs, seconds),
      row('  of which: start -> every Node Ready', (r) => r.nodesReadyMs, seconds),
      row('SSH round trips', (r) => r.roundTrips, String),
      row('SSH connections', (r) => r.connections, String),
      row('bytes pushed over SSH', (r) => r.bytesSent, mib),
      row('memory in use per control-plane host (median)', memoryOf('control plane'), mibs),
      ...(size.workers > 0 ? [row('memory in use per worker host (median)', memoryOf('worker'), mibs)] : []),
    ]),
  );
}

async function main(): Promise<void> {
  const invoked = process.env.npm_lifecycle_event === 'bench:vs-kubeadm' ? 'npm run bench:vs-kubeadm --' : 'node hack/bench-vs-kubeadm.ts';
  console.log(`$ ${invoked} ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`# ${new Date().toISOString()}, ${cpus().length} cores, rounds=${rounds}, sizes ${SIZES.map((s) => s.label).join(', ')}; flannel vxlan; each run: fresh hosts, empty artifact cache\n`);
  const kc = await benchManagementCluster('kubesmith-bench-vs-kubeadm-');
  const built = await build();
  const results: RunResult[] = [];
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [s, size] of SIZES.entries()) {
      const order = (r + s) % 2 === 0 ? RUN : [...RUN].reverse();
      n++;
      for (const path of order) results.push(await run(kc, n, size, path, built, !flags['no-cis'] && r === 0 && s === 0));
    }
  }
  for (const size of SIZES) report(size, results.filter((x) => x.size === size));
  const cis = results.filter((r) => r.cis);
  if (cis.length > 0) {
    console.log(`\n======== CIS Kubernetes Benchmark 1.12 (kube-bench), ${cis[0]!.size.label}: PASS / FAIL / WARN per section`);
    console.log(formatKubeBench(cis.flatMap((r) => [
      { label: `${r.path} control plane`, report: r.cis!.controlPlane },
      ...(r.cis!.worker ? [{ label: `${r.path} worker`, report: r.cis!.worker }] : []),
    ])));
  }
}

await runBenchmark(main);

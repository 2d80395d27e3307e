// Memory of the operator process (figures, not a test):
//   node hack/bench-memory.ts [hosts=100] [controlPlanes=10] [--unrelated=300] [--only=1|2] [--heap [--keep-snapshot=FILE]]
// A management API server (no Docker, no test hosts) holding what a real management cluster holds
// besides kubesmith's objects: `--unrelated` Secrets of 10 KiB in another namespace, as Helm releases
// are. Then N MachineHosts, each with its own SSH key Secret, and M ControlPlanes claiming them. The
// hosts point at 127.0.0.1 port 1, which refuses at once: nothing leaves the machine, and every host
// is reconciled to Reachable=False and retried as a host that is down is. The operator runs as its
// own process on every namespace, twice: (1) with the node flags of `npm start` and the image's
// ENTRYPOINT, (2) as plain `node src/main.ts`. Once every object has its conditions, its VmRSS is
// read from /proc three times, 5 s apart, and the median printed, with the CPU it used meanwhile.
// With --heap the operator also runs with --heapsnapshot-signal=SIGUSR2: its RSS by mapping is
// printed, then a heap snapshot is taken and summarised (self size by kind of object, retained size
// of each informer, the largest retainers).
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { API_VERSION, type ControlPlane, type MachineHost } from '../src/api/index.ts';
import { controlPlaneResource, machineHostResource } from '../src/controllers/resources.ts';
import { KubeClient, MERGE_PATCH } from '../src/runtime/kube-client.ts';
import { resourcePath, secretResource, type Resource } from '../src/runtime/resources.ts';
import { ensureBinaries, startManagementCluster, type ManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig, repoRoot } from '../test/support/manifests.ts';
import { OperatorProcess } from '../test/support/operator-process.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    unrelated: { type: 'string', default: '300' },
    heap: { type: 'boolean', default: false },
    /** Where to keep the heap snapshot (for Chrome DevTools' Memory tab); it is deleted otherwise. */
    'keep-snapshot': { type: 'string' },
    /** Only the first (1) or second (2) of the runs. */
    only: { type: 'string' },
  },
});
const hostCount = Number(positionals[0] ?? 100);
const controlPlaneCount = Number(positionals[1] ?? 10);
const unrelatedCount = Number(values.unrelated);
const NS = 'bench-memory';
const OTHERS = 'helm-apps';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Runs `make` over 0..n-1, `width` at a time. */
async function times(n: number, width: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await make(next++);
  }));
}

/** VmRSS, RssAnon and RssFile of a process, in bytes. */
function rss(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

/** RSS by mapping: file-backed by file, anonymous by the size of the region (V8's pages are 256 KiB; malloc's arenas 64 MiB). */
function smaps(pid: number): void {
  const groups = new Map<string, number>();
  let region = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      const file = head[3]!;
      region = file ? file.replace(/.*\//, '') : `anonymous, regions of ${size >= 1024 ? `${Math.round(size / 1024)} MiB` : `${size} KiB`}`;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) groups.set(region, (groups.get(region) ?? 0) + Number(rss[1]) * 1024);
  }
  console.log('RSS by mapping:');
  for (const [name, bytes] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${mib(bytes).padStart(10)}  ${name}`);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}

async function populate(client: KubeClient): Promise<void> {
  for (const name of [NS, OTHERS]) await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  // Other people's Secrets: Helm release records (10 KiB of gzip-like data each).
  await times(unrelatedCount, 16, (i) =>
    client.create(resourcePath(secretResource, OTHERS), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `sh.helm.release.v1.app-${i}.v1`, labels: { owner: 'helm', name: `app-${i}`, status: 'deployed', version: '1' } },
      type: 'helm.sh/release.v1',
      data: { release: randomBytes(10 * 1024).toString('base64') },
    }),
  );
  const key = ssh2.utils.generateKeyPairSync('ed25519').private;
  await times(hostCount, 16, async (i) => {
    await client.create(resourcePath(secretResource, NS), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `key-${i}` },
      type: 'kubernetes.io/ssh-auth',
      stringData: { 'ssh-privatekey': key },
    });
    await client.create(resourcePath(machineHostResource, NS), {
      apiVersion: API_VERSION,
      kind: 'MachineHost',
      metadata: { name: `h-${i}`, labels: { 'kubesmith.io/cluster': `cp-${i % controlPlaneCount}` } },
      // Loopback port 1 refuses at once: the host is down, and nothing leaves the machine.
      spec: { address: '127.0.0.1', port: 1, user: 'root', sshKeySecretRef: { name: `key-${i}`, key: 'ssh-privatekey' } },
    });
  });
  await times(controlPlaneCount, 4, (j) =>
    client.create(resourcePath(controlPlaneResource, NS), {
      apiVersion: API_VERSION,
      kind: 'ControlPlane',
      metadata: { name: `cp-${j}` },
      spec: { version: 'v1.36.3', replicas: 1, hostSelector: { matchLabels: { 'kubesmith.io/cluster': `cp-${j}` } } },
    }),
  );
}

/** Every object has been reconciled: conditions written, and every host tried (Reachable not Unknown). */
async function allReconciled(client: KubeClient): Promise<boolean> {
  const list = async <T>(resource: Resource) => (await client.list<T>(resourcePath(resource, NS))).items;
  const hosts = await list<MachineHost>(machineHostResource);
  const cps = await list<ControlPlane>(controlPlaneResource);
  const tried = hosts.filter((h) => h.status?.conditions?.some((c) => c.type === 'Reachable' && c.status !== 'Unknown'));
  const done = cps.filter((cp) => (cp.status?.conditions?.length ?? 0) > 0);
  return tried.length === hostCount && done.length === controlPlaneCount;
}

// ---- Heap snapshot summary.

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Immediate dominators of a graph given as CSR (Cooper, Harvey and Kennedy's iterative algorithm over a DFS order). */
function dominators(n: number, firstEdge: Uint32Array, targets: Uint32Array, usable: Uint8Array): Int32Array {
  const order = new Int32Array(n).fill(-1); // post-order number
  const byOrder = new Int32Array(n);
  const preds: number[][] = Array.from({ length: n }, () => []);
  const stack: number[] = [0];
  const edgeIndex = new Uint32Array(n);
  const visited = new Uint8Array(n);
  visited[0] = 1;
  let count = 0;
  for (let i = 0; i < n; i++) edgeIndex[i] = firstEdge[i]!;
  while (stack.length) {
    const v = stack.at(-1)!;
    if (edgeIndex[v]! < firstEdge[v + 1]!) {
      const e = edgeIndex[v]!++;
      if (!usable[e]) continue;
      const w = targets[e]!;
      preds[w]!.push(v);
      if (!visited[w]) {
        visited[w] = 1;
        stack.push(w);
      }
    } else {
      stack.pop();
      order[v] = count;
      byOrder[count++] = v;
    }
  }
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (order[a]! < order[b]!) a = idom[a]!;
      while (order[b]! < order[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = count - 2; k >= 0; k--) {
      const v = byOrder[k]!;
      let dom = -1;
      for (const p of preds[v]!) {
        if (idom[p] === -1) continue;
        dom = dom === -1 ? p : intersect(p, dom);
      }
      if (dom !== -1 && idom[v] !== dom) {
        idom[v] = dom;
        changed = true;
      }
    }
  }
  return idom;
}

function summarise(file: string): void {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [typeOf, nameOf, selfOf, edgeCountOf] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeOf, edgeNameOf, toOf] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const n = snap.nodes.length / nf;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += snap.nodes[i * nf + edgeCountOf]!;
    firstEdge[i + 1] = e;
  }
  const m = snap.edges.length / ef;
  const targets = new Uint32Array(m);
  const usable = new Uint8Array(m);
  const weak = edgeTypes.indexOf('weak');
  for (let e = 0; e < m; e++) {
    targets[e] = snap.edges[e * ef + toOf]! / nf;
    usable[e] = snap.edges[e * ef + edgeTypeOf] === weak ? 0 : 1;
  }
  const type = (i: number) => nodeTypes[snap.nodes[i * nf + typeOf]!]!;
  const name = (i: number) => snap.strings[snap.nodes[i * nf + nameOf]!]!;
  const self = (i: number) => snap.nodes[i * nf + selfOf]!;
  const edgeNamed = (i: number, label: string): number | undefined => {
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e++) {
      const t = edgeTypes[snap.edges[e * ef + edgeTypeOf]!];
      if ((t === 'property' || t === 'internal') && snap.strings[snap.edges[e * ef + edgeNameOf]!] === label) return targets[e];
    }
    return undefined;
  };

  let total = 0;
  const byKind = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < n; i++) {
    const t = type(i);
    const kind = t === 'object' || t === 'closure' || t === 'native' ? `${t} ${name(i)}` : t;
    const entry = byKind.get(kind) ?? { size: 0, count: 0 };
    entry.size += self(i);
    entry.count++;
    byKind.set(kind, entry);
    total += self(i);
  }
  console.log(`heap snapshot: ${mib(total)} in ${n} objects; largest kinds by self size:`);
  for (const [kind, { size, count }] of [...byKind].sort((a, b) => b[1].size - a[1].size).slice(0, 25)) {
    console.log(`  ${mib(size).padStart(10)}  ${String(count).padStart(8)}  ${kind.slice(0, 90)}`);
  }

  const idom = dominators(n, firstEdge, targets, usable);
  const retained = new Float64Array(n);
  for (let i = 0; i < n; i++) retained[i] = self(i);
  // Children before parents: sum up the dominator tree by depth, deepest first.
  const depth = new Int32Array(n).fill(-1);
  depth[0] = 0;
  const depthOf = (v: number): number => {
    const path: number[] = [];
    while (depth[v] === -1 && idom[v] !== -1) {
      path.push(v);
      v = idom[v]!;
    }
    let d = depth[v] === -1 ? 0 : depth[v]!;
    for (let k = path.length - 1; k >= 0; k--) depth[path[k]!] = ++d;
    return depth[path[0] ?? v]!;
  };
  const reachable: number[] = [];
  for (let i = 1; i < n; i++) {
    if (idom[i] === -1) continue;
    depthOf(i);
    reachable.push(i);
  }
  reachable.sort((a, b) => depth[b]! - depth[a]!);
  for (const v of reachable) {
    const parent = idom[v]!;
    if (parent !== v) retained[parent] = retained[parent]! + retained[v]!;
  }

  console.log('retained by each informer (its cache and all it alone holds):');
  for (let i = 0; i < n; i++) {
    if (type(i) !== 'object' || name(i) !== 'Informer') continue;
    const resource = edgeNamed(i, 'resource');
    const plural = resource === undefined ? undefined : edgeNamed(resource, 'plural');
    const options = edgeNamed(i, 'options');
    const selector = options === undefined ? undefined : edgeNamed(options, 'labelSelector');
    const selected = selector === undefined || type(selector) !== 'string' ? '' : ` (label selector ${name(selector)})`;
    const label = `${plural === undefined ? '?' : name(plural)}${selected}`;
    console.log(`  ${mib(retained[i]!).padStart(10)}  ${label}`);
  }
  console.log('largest single retainers (objects and closures):');
  const big = reachable.filter((i) => ['object', 'closure', 'native'].includes(type(i)) && retained[i]! > 512 * 1024);
  // Only the outermost of nested large retainers, down to the level where they split.
  for (const i of big.sort((a, b) => retained[b]! - retained[a]!).slice(0, 20)) {
    console.log(`  ${mib(retained[i]!).padStart(10)}  ${type(i)} ${name(i).slice(0, 80)}`);
  }
}

/** The node flags `npm start` (and the image's ENTRYPOINT, which a unit test keeps equal) runs the operator with. */
function shippedNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
  return start.slice(start.indexOf('node') + 1, start.indexOf('src/main.ts'));
}

/** CPU seconds the process has used (user and system). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Forgets every object's status, so that the next operator's reconciles can be seen. */
async function clearStatus(client: KubeClient): Promise<void> {
  for (const resource of [machineHostResource, controlPlaneResource]) {
    const { items } = await client.list<MachineHost>(resourcePath(resource, NS));
    await times(items.length, 16, (i) =>
      client.patch(resourcePath(resource, NS, items[i]!.metadata.name, 'status'), { status: null }, MERGE_PATCH),
    );
  }
}

interface Run {
  name: string;
  nodeFlags: string[];
}

async function measure(cluster: ManagementCluster, client: KubeClient, dir: string, run: Run, heap: boolean): Promise<OperatorProcess> {
  const nodeOptions = [...run.nodeFlags, ...(heap ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : [])];
  const operator = new OperatorProcess(cluster.kubeconfigPath, ['--probe-port=0'], {
    NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', ...nodeOptions].join(' ').trim(),
    KUBESMITH_ARTIFACT_CACHE: join(dir, 'artifacts'),
  });
  const pid = operator.child.pid!;
  const up = performance.now();
  await waitUntil('every object reconciled', () => allReconciled(client), 300_000);
  console.log(`\n${run.name}: operator ${pid} reconciled every object ${((performance.now() - up) / 1000).toFixed(1)} s after it started`);
  await sleep(5000);
  const samples: ReturnType<typeof rss>[] = [];
  const cpuBefore = cpuSeconds(pid);
  for (let k = 0; k < 3; k++) {
    if (k > 0) await sleep(5000);
    samples.push(rss(pid));
  }
  const cpu = cpuSeconds(pid) - cpuBefore;
  const pick = median(samples.map((s) => s.rss));
  const at = samples.find((s) => s.rss === pick)!;
  console.log(`  samples ${samples.map((s) => mib(s.rss)).join(', ')}; CPU ${((cpu / 10) * 100).toFixed(0)}% of a core over those 10 s`);
  console.log(
    `  operator RSS with ${hostCount} MachineHosts, ${controlPlaneCount} ControlPlanes, ${unrelatedCount} unrelated Secrets: ` +
      `${mib(pick)} (median of 3; anonymous ${mib(at.anon)}, file-backed ${mib(at.file)})`,
  );
  if (heap) {
    smaps(pid);
    process.kill(pid, 'SIGUSR2');
    let file: string | undefined;
    await waitUntil(
      'the heap snapshot',
      async () => {
        file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
        if (!file) return false;
        const size = statSync(join(dir, file)).size;
        await sleep(2000);
        return size > 0 && statSync(join(dir, file)).size === size;
      },
      120_000,
    );
    summarise(join(dir, file!));
    if (values['keep-snapshot']) copyFileSync(join(dir, file!), values['keep-snapshot']);
    rmSync(join(dir, file!));
  }
  return operator;
}

async function main(): Promise<void> {
  const runs: Run[] = [
    { name: `as npm start and the image run it (node ${shippedNodeFlags().join(' ')} src/main.ts)`, nodeFlags: shippedNodeFlags() },
    { name: 'plain node src/main.ts', nodeFlags: [] },
  ].filter((_, i) => values.only === undefined || String(i + 1) === values.only);
  const binDir = ensureBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-bench-memory-'));
  let cluster: ManagementCluster | undefined;
  let operator: OperatorProcess | undefined;
  const cleanup = async () => {
    operator?.child.kill('SIGKILL');
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    cluster = await startManagementCluster({ dir, binDir });
    installCrds(binDir, cluster.kubeconfigPath);
    const client = new KubeClient(loadKubeConfig(cluster.kubeconfigPath));
    const started = performance.now();
    await populate(client);
    console.log(
      `created ${unrelatedCount} unrelated Secrets of 10 KiB, ${hostCount} MachineHosts with ${hostCount} key Secrets, ` +
        `${controlPlaneCount} ControlPlanes in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const [i, run] of runs.entries()) {
      if (i > 0) await clearStatus(client);
      operator = await measure(cluster, client, dir, run, values.heap);
      operator.child.kill('SIGTERM');
      await operator.exited;
      operator = undefined;
    }
  } finally {
    await cleanup();
  }
}

await main();

// The local default environment: a whole Kubernetes cluster built by kubesmith on test hosts.
// `up` starts, detached so they outlive it: etcd and kube-apiserver as the management API server on
// 127.0.0.1, the artifact mirror (hack/dev-mirror.ts), the test hosts (containers booting systemd
// and sshd), on their network's gateway the image registry and the hosts' upstream DNS server
// (hack/dev-dns.ts), and the operator (src/main.ts, every controller); then it applies the hosts'
// MachineHosts, a ControlPlane, a WorkerPool and a NetworkAddon, shows progress until every Node
// is Ready (and DNS, when the ControlPlane manages it), and writes the cluster's kubeconfig.
// `status` shows the resources again; `down` removes everything `up` made.
//   node hack/dev-env.ts up [--large] [--network bridge|vxlan|host-gw] [--timeout 30m]
//   node hack/dev-env.ts status|down
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, repoRoot } from '../test/support/manifests.ts';
import { isRunning, logTail, stopProcess } from '../test/support/processes.ts';
import { gatewayOf, startHosts } from '../test/support/hosts.ts';
import { KUBERNETES_VERSION } from '../test/support/control-plane-env.ts';
import { buildKubernetesRelease } from '../test/support/artifact-mirror.ts';
import { REGISTRY_ENV, registryConfig } from '../test/support/image-registry.ts';
import { OUTSIDE_NAME } from '../test/support/upstream-dns.ts';
import { capture, docker, kubectlWith, run } from './dev-exec.ts';
import { readCluster, type ClusterAccess, type ClusterView } from './dev-progress.ts';

// KUBESMITH_DEV_DIR lets a test run its own environment without touching a developer's.
const stateDir = process.env.KUBESMITH_DEV_DIR ?? join(repoRoot, '.kubesmith-dev');
const stateFile = join(stateDir, 'state.json');
const hack = join(repoRoot, 'hack');

const NETWORKS = ['bridge', 'vxlan', 'host-gw'] as const;
type Network = (typeof NETWORKS)[number];
/** How long a resource may stay Stalled (waiting for a person) before `up` stops waiting. */
const STALLED_GIVE_UP_MS = 5 * 60_000;

/** Set once `up` has something running: a failure from then on leaves it for a look. */
let leftRunning = false;

/** The one cluster the dev environment builds: every kubesmith resource is called this. */
export const CLUSTER = 'dev';

interface Topology {
  controlPlanes: number;
  workers: number;
  network: Network;
}

/** A process `up` started, and a string its command line contains, so `down` never signals a pid reused by another. */
interface OwnedProcess {
  pid: number;
  marker: string;
}

interface State {
  topology: Topology;
  /** The management API server's kubeconfig. */
  kubeconfig?: string;
  kubectl?: string;
  /** The workload cluster's kubeconfig, written once the ControlPlane published it. */
  clusterKubeconfig: string;
  processes: { name: string; process: OwnedProcess }[];
  containers: string[];
  network?: string;
  /** `address:port` of the image registry on the hosts' network. */
  registry?: string;
  mirrorURL?: string;
  /** When `up` started (ms since the epoch). */
  startedAt: number;
  /** Everything started and the resources applied: what is left is the operator's work. */
  applied?: boolean;
}

function readState(): State | undefined {
  return existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as State) : undefined;
}

function save(state: State): void {
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
}

function owns({ pid, marker }: OwnedProcess): boolean {
  if (!isRunning(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

const describeTopology = ({ controlPlanes, workers, network }: Topology) =>
  `${controlPlanes} control plane${controlPlanes === 1 ? '' : 's'} and ${workers} worker${workers === 1 ? '' : 's'}, ` +
  `network ${network === 'bridge' ? 'bridge' : `flannel ${network}`}`;

const elapsed = (since: number) => {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

function step(startedAt: number, text: string): void {
  console.log(`[${elapsed(startedAt)}] ${text}`);
}

function parseDuration(value: string): number {
  const match = /^(\d+)(s|m)$/.exec(value);
  if (!match) throw new Error(`--timeout ${value}: give a duration such as 30m or 900s`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1000);
}

function explain(state: State, ready: boolean): void {
  const kubectl = state.kubectl ?? 'kubectl';
  console.log(`
The cluster (${describeTopology(state.topology)}) ${ready ? 'is up' : 'is not ready yet: see above'}.
Use it with the kubectl of its release:
  export KUBECONFIG=${state.clusterKubeconfig}
  ${kubectl} get nodes -o wide
kubesmith's resources are in the management API server:
  ${kubectl} --kubeconfig ${state.kubeconfig} get kubesmith -o wide
  tail -f ${join(stateDir, 'operator.log')}
Pods pull from the image registry at ${state.registry} (for example ${state.registry}/kubesmith/netcheck:1).
npm run dev:status shows the resources again; npm run dev:down removes everything.`);
}

// --- starting the parts -----------------------------------------------------------------------

/** Starts a process that outlives this one, with its output in a log file in the state directory. */
function startDetached(name: string, command: string, args: string[], marker: string, env: NodeJS.ProcessEnv = process.env): OwnedProcess {
  const log = openSync(join(stateDir, `${name}.log`), 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log], detached: true, env });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name}; see ${join(stateDir, `${name}.log`)}`);
  return { pid: child.pid, marker };
}

async function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(what: string, proc: OwnedProcess, logName: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (!isRunning(proc.pid)) throw new Error(`${what} exited:\n${logTail(join(stateDir, `${logName}.log`))}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms:\n${logTail(join(stateDir, `${logName}.log`))}`);
    await sleep(200);
  }
}

/**
 * The tests' registry (test/support/image-registry.ts): distribution's `registry` serving the test
 * images read only, on the gateway of the hosts' network so the hosts' containerd can pull from it.
 */
async function startRegistry(state: State, tools: string, storage: string, gateway: string): Promise<string> {
  const host = `${gateway}:${await freePortOn(gateway)}`;
  const config = join(stateDir, 'registry.yml');
  writeFileSync(config, registryConfig(storage, host));
  const proc = startDetached('registry', join(tools, 'registry'), ['serve', config], config, REGISTRY_ENV);
  state.processes.push({ name: 'image registry', process: proc });
  save(state);
  await waitUntil(`the image registry on ${host}`, proc, 'registry', async () => {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    return res?.status === 200;
  });
  return host;
}

/** Fills the mirror's root as test/support/control-plane-env.ts does: etcd, Kubernetes and the node binaries. */
async function prepareMirror(root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  await Promise.all([
    capture('bash', [join(hack, 'build-etcd-release.sh'), root]),
    capture('bash', [join(hack, 'build-node-release.sh'), root]),
  ]);
  await buildKubernetesRelease(root, KUBERNETES_VERSION);
}

/**
 * The hosts' upstream resolver (hack/dev-dns.ts) on the gateway their resolv.conf names. It knows
 * the name outside the cluster the tests resolve (OUTSIDE_NAME), so the same checks work on this
 * cluster.
 */
async function startDns(state: State, gateway: string): Promise<void> {
  const readyFile = join(stateDir, 'dns.ready');
  const script = join(hack, 'dev-dns.ts');
  const proc = startDetached('dns', process.execPath, [script, gateway, readyFile, `${OUTSIDE_NAME.name}=${OUTSIDE_NAME.address}`], script);
  state.processes.push({ name: 'upstream DNS', process: proc });
  save(state);
  await waitUntil(`the upstream DNS server on ${gateway}:53`, proc, 'dns', () => existsSync(readyFile));
}

async function startMirror(state: State, root: string): Promise<string> {
  const urlFile = join(stateDir, 'mirror.url');
  const script = join(hack, 'dev-mirror.ts');
  const proc = startDetached('mirror', process.execPath, [script, root, urlFile], script);
  state.processes.push({ name: 'artifact mirror', process: proc });
  save(state);
  await waitUntil('the artifact mirror', proc, 'mirror', () => existsSync(urlFile));
  return readFileSync(urlFile, 'utf8').trim();
}

function manifests(state: State, topology: Topology, hosts: { address: string }[], privateKey: string): object[] {
  const registry = state.registry!;
  const names = hosts.map((_, i) => (i < topology.controlPlanes ? `cp-${i + 1}` : `w-${i - topology.controlPlanes + 1}`));
  const ref = { name: CLUSTER };
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${CLUSTER}-ssh` }, type: 'kubernetes.io/ssh-auth', stringData: { 'ssh-privatekey': privateKey } },
    ...hosts.map((h, i) => ({
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'MachineHost',
      metadata: { name: names[i], labels: { 'kubesmith.io/cluster': CLUSTER, role: i < topology.controlPlanes ? 'control-plane' : 'worker' } },
      spec: { address: h.address, user: 'root', sshKeySecretRef: { name: `${CLUSTER}-ssh`, key: 'ssh-privatekey' } },
    })),
    // As test/support/cluster-world.ts createTestControlPlane: images from the test registry, which
    // is also the mirror of docker.io; binaries from the artifact mirror.
    {
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'ControlPlane',
      metadata: { name: CLUSTER },
      spec: {
        version: KUBERNETES_VERSION,
        replicas: topology.controlPlanes,
        hostSelector: { matchLabels: { 'kubesmith.io/cluster': CLUSTER, role: 'control-plane' } },
        artifacts: { baseURL: state.mirrorURL, checksumPolicy: 'Required' },
        imageRepository: `${registry}/kubesmith`,
        registryMirrors: [
          { registry, endpoints: [`http://${registry}`] },
          { registry: 'docker.io', endpoints: [`http://${registry}`] },
        ],
      },
    },
    {
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'WorkerPool',
      metadata: { name: CLUSTER },
      spec: { controlPlaneRef: ref, replicas: topology.workers, hostSelector: { matchLabels: { 'kubesmith.io/cluster': CLUSTER, role: 'worker' } } },
    },
    {
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'NetworkAddon',
      metadata: { name: CLUSTER },
      spec:
        topology.network === 'bridge'
          ? { controlPlaneRef: ref, provider: 'bridge' }
          : { controlPlaneRef: ref, provider: 'flannel', flannel: { backend: topology.network } },
    },
  ];
}

// --- commands ---------------------------------------------------------------------------------

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      large: { type: 'boolean', default: false },
      network: { type: 'string', default: 'vxlan' },
      timeout: { type: 'string', default: '30m' },
    },
  });
  if (!(NETWORKS as readonly string[]).includes(values.network)) throw new Error(`--network ${values.network}: choose one of ${NETWORKS.join(', ')}`);
  const topology: Topology = { controlPlanes: values.large ? 3 : 1, workers: values.large ? 2 : 1, network: values.network as Network };
  const timeoutMs = parseDuration(values.timeout);

  const existing = readState();
  if (existing?.applied && existing.processes.every((p) => owns(p.process))) {
    console.log(`already running: ${describeTopology(existing.topology)}${args.length ? ' (npm run dev:down first to start another)' : ''}`);
    leftRunning = true;
    await waitForCluster(existing, timeoutMs);
    explain(existing, true);
    return;
  }
  if (existing || existsSync(stateDir)) await down();
  mkdirSync(stateDir, { recursive: true });
  const startedAt = Date.now();
  const state: State = { topology, clusterKubeconfig: join(stateDir, 'cluster.kubeconfig'), processes: [], containers: [], startedAt };
  save(state);
  leftRunning = true;
  console.log(`Bringing up a cluster of ${describeTopology(topology)} (state in ${stateDir})`);

  const binDir = ensureBinaries();
  state.kubectl = join(binDir, 'kubectl');
  await run('bash', [join(hack, 'ensure-docker.sh')]);
  process.env.KUBESMITH_HOST_IMAGE = await capture('bash', [join(hack, 'build-host-image.sh')]);

  step(startedAt, `starting ${topology.controlPlanes + topology.workers} test hosts and the management API server; preparing the artifact mirror and the image registry`);
  const mirrorRoot = join(stateDir, 'mirror');
  const [hosts, , , storage, tools] = await settleAll([
    startHosts(topology.controlPlanes + topology.workers, { prefix: CLUSTER }).then((h) => {
      state.containers = h.hosts.map((x) => x.container.getId());
      state.network = h.network.getName();
      save(state);
      return h;
    }),
    startManagementCluster({ dir: join(stateDir, 'management'), binDir, detached: true }).then((c) => {
      state.processes.push(...c.pids.map((pid, i) => ({ name: i === 0 ? 'kube-apiserver' : 'etcd', process: { pid, marker: stateDir } })));
      state.kubeconfig = c.kubeconfigPath;
      save(state);
      return c;
    }),
    prepareMirror(mirrorRoot),
    capture('bash', [join(hack, 'build-images.sh')]),
    capture('bash', [join(hack, 'build-test-tools.sh')]),
  ]);

  const gateway = await gatewayOf(hosts.network);
  state.registry = await startRegistry(state, tools, storage, gateway);
  await startDns(state, gateway);
  state.mirrorURL = await startMirror(state, mirrorRoot);
  save(state);
  step(startedAt, `image registry on ${state.registry}, upstream DNS on ${gateway}:53, artifact mirror at ${state.mirrorURL}; installing the CRDs and starting the operator`);
  installCrds(binDir, state.kubeconfig!);
  const operatorLog = join(stateDir, 'operator.log');
  const mainTs = join(repoRoot, 'src', 'main.ts');
  state.processes.push({
    name: 'operator',
    // With the node flags of `npm start` and the image, so that it is the operator users run.
    process: startDetached('operator', process.execPath, ['--max-semi-space-size=2', mainTs, '--probe-port=0', '--probe-host=127.0.0.1'], mainTs, {
      ...process.env,
      KUBECONFIG: state.kubeconfig,
      // Kept in the state directory so that `down` leaves nothing behind.
      KUBESMITH_ARTIFACT_CACHE: join(stateDir, 'artifacts'),
    }),
  });
  save(state);

  const file = join(stateDir, 'cluster.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests(state, topology, hosts.hosts, hosts.keyPair.privateKey) }), { mode: 0o600 });
  kubectlWith(state.kubectl, state.kubeconfig!, ['apply', '--server-side', '--field-manager=kubesmith-dev', '-f', file]);
  state.applied = true;
  save(state);
  step(startedAt, `applied the MachineHosts, ControlPlane ${CLUSTER}, WorkerPool ${CLUSTER} and NetworkAddon ${CLUSTER}; the operator logs to ${operatorLog}`);
  await waitForCluster(state, timeoutMs);
  step(startedAt, 'done');
  explain(state, true);
}

/** Like Promise.all, but waits for every promise, so whatever did start is in the state for `down`. */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw failed.length === 1 ? failed[0]!.reason : new AggregateError(failed.map((f) => f.reason as unknown), 'starting the environment failed');
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Waits, printing what each resource waits for whenever that changes (and every half minute), until
 * every Node is Ready and, when the ControlPlane manages DNS (a CoreDNSReady condition), CoreDNS is
 * Ready and the kube-dns Service has a ready endpoint.
 */
async function waitForCluster(state: State, timeoutMs: number): Promise<ClusterView> {
  const since = state.startedAt;
  const deadline = Date.now() + timeoutMs;
  const printed = new Map<string, string>();
  const stallPrinted = new Map<string, string>();
  const stalledSince = new Map<string, number>();
  let lastPrint = 0;
  for (;;) {
    const view = readCluster(access(state), CLUSTER, state.topology.controlPlanes + state.topology.workers);
    // What changed, and every half minute what is still waited for.
    const heartbeat = !view.done && Date.now() - lastPrint >= 30_000;
    let shown = 0;
    for (const line of view.lines) {
      const changed = printed.get(line.key) !== line.text;
      if (changed || (heartbeat && !line.done)) {
        step(since, `${line.text}${line.stalled && !changed ? ' (Stalled, see above)' : ''}`);
        printed.set(line.key, line.text);
        shown++;
      }
      if (changed || line.done) stalledSince.delete(line.key);
      if (!line.stalled) continue;
      // Said once per reason: the message can change with every reconcile (a pod's restart count).
      if (stallPrinted.get(line.key) !== line.stalled.reason) {
        step(since, `  Stalled ${line.stalled.reason}, a person must act: ${line.stalled.message}`);
        stallPrinted.set(line.key, line.stalled.reason);
        shown++;
      }
      if (!stalledSince.has(line.key)) stalledSince.set(line.key, Date.now());
    }
    if (shown > 0) lastPrint = Date.now();
    if (view.done) {
      step(since, `every Node is Ready${view.dns === 'absent' ? ' (this operator does not manage CoreDNS yet: the ControlPlane has no CoreDNSReady condition, so DNS was not checked)' : ', CoreDNS is Ready and the kube-dns Service has ready endpoints'}`);
      return view;
    }
    const stuck = [...stalledSince].find(([, at]) => Date.now() - at > STALLED_GIVE_UP_MS);
    if (stuck || Date.now() > deadline) {
      throw new Error(
        `${stuck ? `${stuck[0]} has been Stalled for ${STALLED_GIVE_UP_MS / 60_000} min, waiting for a person` : `the cluster was not ready within ${Math.round(timeoutMs / 60_000)} min`}. ` +
          'The environment is left running for a look: npm run dev:status shows it, npm run dev waits for it again, npm run dev:down removes it. ' +
          `The last lines of ${join(stateDir, 'operator.log')}:\n${logTail(join(stateDir, 'operator.log'), 15)}`,
      );
    }
    await sleep(3_000);
  }
}

function access(state: State): ClusterAccess {
  return { kubeconfig: state.kubeconfig!, kubectl: state.kubectl!, clusterKubeconfig: state.clusterKubeconfig };
}

async function down(): Promise<void> {
  const state = readState();
  if (!state && !existsSync(stateDir)) {
    console.log('nothing to tear down');
    return;
  }
  if (state) {
    // The operator first, so that nothing works on the hosts while they go.
    const order = [...state.processes].sort((a, b) => Number(b.name === 'operator') - Number(a.name === 'operator'));
    for (const { process: p } of order) if (owns(p)) await stopProcess(p.pid);
    // Every container on the hosts' network is one of ours: also one a failed start did not record.
    const onNetwork = state.network ? docker(['ps', '-aq', '--no-trunc', '--filter', `network=${state.network}`]).split('\n').filter(Boolean) : [];
    const containers = [...new Set([...state.containers, ...onNetwork])];
    if (containers.length > 0) docker(['rm', '-f', '-v', ...containers], true);
    if (state.network) docker(['network', 'rm', state.network], true);
  }
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`stopped the operator, the management API server, the image registry, the upstream DNS server and the artifact mirror; removed the test hosts, their network and ${stateDir}`);
}

function status(): void {
  const state = readState();
  if (!state || !state.kubeconfig || !state.kubectl) {
    console.log('not running');
    return;
  }
  for (const { name, process: p } of state.processes) if (!owns(p)) console.log(`${name} (pid ${p.pid}) is not running; npm run dev:down, then npm run dev`);
  console.log(kubectlWith(state.kubectl, state.kubeconfig, ['get', 'kubesmith', '-o', 'wide']));
  const view = readCluster(access(state), CLUSTER, state.topology.controlPlanes + state.topology.workers);
  for (const line of view.lines) console.log(`${line.text}${line.stalled ? `\n  Stalled ${line.stalled.reason}, a person must act: ${line.stalled.message}` : ''}`);
  if (existsSync(state.clusterKubeconfig)) {
    try {
      console.log(`\n${kubectlWith(state.kubectl, state.clusterKubeconfig, ['get', 'nodes', '-o', 'wide'])}`);
    } catch (error) {
      console.log(`the cluster's API server did not answer: ${(error as Error).message}`);
    }
  }
  explain(state, view.done);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'up') await up(rest);
  else if (command === 'down') await down();
  else if (command === 'status') status();
  else {
    console.error('usage: node hack/dev-env.ts up [--large] [--network bridge|vxlan|host-gw] [--timeout 30m] | status | down');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`\n${command} failed: ${(error as Error).message}`);
  if (leftRunning) console.error('What did start is still running; npm run dev:status looks at it, npm run dev:down removes it.');
  process.exitCode = 1;
}
// The Docker client of the test hosts may keep a connection open; the parts it started run detached.
process.exit();

// The local default environment: a management API server, kubesmith's CRDs, the operator, and three
// test hosts (containers booting systemd and sshd) with their MachineHosts. `up` leaves it running
// in the background; `down` removes it.
//   node hack/dev-env.ts up|down|status
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, repoRoot } from '../test/support/manifests.ts';
import { isRunning, stopProcess } from '../test/support/processes.ts';
import { startHosts } from '../test/support/hosts.ts';
import { waitFor } from '../test/support/wait.ts';

// KUBESMITH_DEV_DIR lets a test run its own environment without touching a developer's.
const stateDir = process.env.KUBESMITH_DEV_DIR ?? join(repoRoot, '.kubesmith-dev');
const stateFile = join(stateDir, 'state.json');

interface State {
  kubeconfig: string;
  kubectl: string;
  pids: { operator: number; cluster: number[] };
  containers: string[];
  network: string;
}

function readState(): State | undefined {
  return existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as State) : undefined;
}

function allPids(state: State): number[] {
  return [state.pids.operator, ...state.pids.cluster];
}

function kubectl(state: State, ...args: string[]): string {
  return execFileSync(state.kubectl, ['--kubeconfig', state.kubeconfig, ...args], { encoding: 'utf8' });
}

function explain(state: State) {
  console.log(`
kubesmith is running locally.
  export KUBECONFIG=${state.kubeconfig}
  alias kubectl=${state.kubectl}      # a kubectl matching the API server
  kubectl get machinehosts -o wide     # the three test hosts, with their conditions
  kubectl get kubesmith -A             # every kubesmith resource
  tail -f ${join(stateDir, 'operator.log')}
Tear it down with: npm run dev:down`);
}

async function up() {
  const existing = readState();
  if (existing && allPids(existing).every(isRunning)) {
    console.log('already running');
    explain(existing);
    return;
  }
  if (existing) await down();
  mkdirSync(stateDir, { recursive: true });
  const binDir = ensureBinaries();
  execFileSync('bash', [join(repoRoot, 'hack', 'ensure-docker.sh')], { stdio: 'inherit' });
  process.env.KUBESMITH_HOST_IMAGE = execFileSync('bash', [join(repoRoot, 'hack', 'build-host-image.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  console.log('starting three test hosts and the management API server (etcd + kube-apiserver on 127.0.0.1)');
  const [hosts, cluster] = await Promise.all([
    startHosts(3, { prefix: 'dev' }),
    startManagementCluster({ dir: join(stateDir, 'cluster'), binDir, detached: true }),
  ]);
  installCrds(binDir, cluster.kubeconfigPath);
  const log = openSync(join(stateDir, 'operator.log'), 'a');
  const operator = spawn(process.execPath, [join(repoRoot, 'src', 'main.ts'), '--probe-port=0', '--probe-host=127.0.0.1'], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    stdio: ['ignore', log, log],
    detached: true,
  });
  operator.unref();
  const state: State = {
    kubeconfig: cluster.kubeconfigPath,
    kubectl: join(binDir, 'kubectl'),
    pids: { operator: operator.pid!, cluster: cluster.pids },
    containers: hosts.hosts.map((h) => h.container.getId()),
    network: hosts.network.getName(),
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  const manifest = [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dev-ssh' }, type: 'kubernetes.io/ssh-auth', stringData: { 'ssh-privatekey': hosts.keyPair.privateKey } },
    ...hosts.hosts.map((h, i) => ({
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'MachineHost',
      metadata: { name: `dev-${i + 1}`, labels: { 'kubesmith.io/cluster': 'dev' } },
      spec: { address: h.address, user: 'root', sshKeySecretRef: { name: 'dev-ssh', key: 'ssh-privatekey' } },
    })),
  ];
  const manifestFile = join(stateDir, 'hosts.json');
  writeFileSync(manifestFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifest }), { mode: 0o600 });
  console.log('operator started; applying a Secret with the hosts\' SSH key and three MachineHosts');
  kubectl(state, 'apply', '-f', manifestFile);
  await waitFor(
    'every MachineHost Ready',
    () => {
      const out = kubectl(state, 'get', 'machinehosts', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}');
      return out.trim().split('\n').filter((s) => s === 'True').length === 3;
    },
    180_000,
    1000,
  );
  console.log(kubectl(state, 'get', 'machinehosts', '-o', 'wide'));
  explain(state);
}

async function down() {
  const state = readState();
  if (!state) {
    console.log('nothing to tear down');
    return;
  }
  for (const pid of allPids(state)) await stopProcess(pid);
  for (const id of state.containers) execFileSync('docker', ['rm', '-f', '-v', id], { stdio: 'ignore' });
  execFileSync('docker', ['network', 'rm', state.network], { stdio: 'ignore' });
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`stopped the operator, the management API server and the test hosts; removed ${stateDir}`);
}

const command = process.argv[2];
if (command === 'up') await up();
else if (command === 'down') await down();
else if (command === 'status') {
  const state = readState();
  if (!state) console.log('not running');
  else {
    console.log(kubectl(state, 'get', 'kubesmith', '-A'));
    explain(state);
  }
} else {
  console.error('usage: node hack/dev-env.ts up|down|status');
  process.exit(2);
}

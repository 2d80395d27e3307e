// The local default environment: a management API server, kubesmith's CRDs, the operator, and a
// sample cluster's objects. `up` leaves it running in the background; `down` removes it.
//   node hack/dev-env.ts up|down|status
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, repoRoot } from '../test/support/manifests.ts';
import { isRunning, stopProcess } from '../test/support/processes.ts';
import { waitFor } from '../test/support/wait.ts';

const stateDir = join(repoRoot, '.kubesmith-dev');
const stateFile = join(stateDir, 'state.json');
const probePort = 18081;

interface State {
  kubeconfig: string;
  kubectl: string;
  pids: { operator: number; cluster: number[] };
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
  kubectl get kubesmith -A             # every kubesmith resource, with conditions
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
  console.log('starting the management API server (etcd + kube-apiserver on 127.0.0.1)');
  const cluster = await startManagementCluster({ dir: join(stateDir, 'cluster'), binDir, detached: true });
  installCrds(binDir, cluster.kubeconfigPath);
  const log = openSync(join(stateDir, 'operator.log'), 'a');
  const operator = spawn(process.execPath, [join(repoRoot, 'src', 'main.ts'), `--probe-port=${probePort}`, '--probe-host=127.0.0.1'], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    stdio: ['ignore', log, log],
    detached: true,
  });
  operator.unref();
  const state: State = {
    kubeconfig: cluster.kubeconfigPath,
    kubectl: join(binDir, 'kubectl'),
    pids: { operator: operator.pid!, cluster: cluster.pids },
  };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  console.log('operator started; applying config/samples/cluster-small.yaml');
  kubectl(state, 'apply', '-f', join(repoRoot, 'config', 'samples', 'cluster-small.yaml'));
  await waitFor(
    'the operator to report on every sample object',
    () => {
      const out = kubectl(state, 'get', 'kubesmith', '-o', 'jsonpath={range .items[*]}{.status.observedGeneration}{"\\n"}{end}');
      return out.trim().split('\n').length === 5 && !out.split('\n').slice(0, 5).includes('');
    },
    60_000,
    500,
  );
  console.log(kubectl(state, 'get', 'kubesmith'));
  explain(state);
}

async function down() {
  const state = readState();
  if (!state) {
    console.log('nothing to tear down');
    return;
  }
  for (const pid of allPids(state)) await stopProcess(pid);
  rmSync(stateDir, { recursive: true, force: true });
  console.log('stopped the operator and the management API server; removed .kubesmith-dev/');
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

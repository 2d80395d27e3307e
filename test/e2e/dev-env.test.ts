// The README's main command: `npm run dev` brings up a whole cluster (one control plane, one worker,
// flannel with the host-gw backend) on test hosts, says how to use it, and `npm run dev:down` leaves
// nothing behind: no process, no container, no network, no state directory.
//
// The cluster stays up from the first describe's beforeAll to the dev:down test: checks of a running
// cluster go in that describe and reach it through devCluster().
// KUBESMITH_DEV_TEST_NETWORK=bridge|vxlan|host-gw tries another network (default host-gw).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDns, expectPodToPod, expectServices, podOnEveryNode } from '../support/conformance.ts';
import { repoRoot } from '../support/manifests.ts';
import { OUTSIDE_NAME } from '../support/upstream-dns.ts';
import { isRunning } from '../support/processes.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-dev-'));
const stateDir = join(dir, 'state');
const env = { ...process.env, KUBESMITH_DEV_DIR: stateDir };
const network = process.env.KUBESMITH_DEV_TEST_NETWORK ?? 'host-gw';
const UP_TIMEOUT_MS = 30 * 60_000;

/** `npm run <script> [-- args]` in the repository, with this test's state directory. */
async function npmRun(script: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('npm', ['run', script, ...(args.length ? ['--', ...args] : [])], { cwd: repoRoot, env, maxBuffer: 16 << 20, timeout: UP_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run ${script} failed:\n${stdout}\n${stderr}`, { cause: error });
  }
}

const docker = async (...args: string[]) => (await run('docker', args)).stdout.split('\n').filter(Boolean);

/** The cluster `npm run dev` brought up, as a user reaches it with what `up` printed. */
export interface DevCluster {
  /** Everything `npm run dev` printed. */
  output: string;
  /** The workload cluster's kubeconfig, from the printed `export KUBECONFIG=...`. */
  kubeconfig: string;
  /** The printed kubectl. */
  kubectlPath: string;
  kubectl(...args: string[]): Promise<string>;
  /** `address:port` of the image registry the nodes pull from (`<registry>/kubesmith/netcheck:1`). */
  registry: string;
}

let cluster: DevCluster | undefined;

/** The running dev cluster, for the tests in the describe below (from its beforeAll on). */
export function devCluster(): DevCluster {
  if (!cluster) throw new Error('npm run dev has not brought the cluster up');
  return cluster;
}

interface DevState {
  processes: { name: string; process: { pid: number } }[];
  containers: string[];
  network: string;
}

let before: { containers: string[] };

beforeAll(async () => {
  // What other runs left or hold, so that only this environment's leftovers count.
  before = { containers: await docker('ps', '-aq', '--no-trunc', '--filter', 'label=io.kubesmith.test') };
});

afterAll(async () => {
  if (existsSync(stateDir)) await npmRun('dev:down').catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe(`npm run dev -- --network ${network}: a whole cluster`, () => {
  beforeAll(async () => {
    const output = await npmRun('dev', '--network', network);
    const kubeconfig = /^\s*export KUBECONFIG=(\S+)$/m.exec(output)?.[1];
    const kubectlPath = /^\s*(\/\S+\/kubectl) get nodes/m.exec(output)?.[1];
    const registry = /image registry at (\S+) /.exec(output)?.[1];
    if (!kubeconfig || !kubectlPath || !registry) throw new Error(`npm run dev did not say how to use the cluster:\n${output}`);
    cluster = {
      output,
      kubeconfig,
      kubectlPath,
      registry,
      kubectl: async (...args) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, '--request-timeout=20s', ...args], { timeout: 120_000 })).stdout,
    };
  }, UP_TIMEOUT_MS);

  it('shows progress, then says how to use the cluster and where kubesmith’s resources are', () => {
    const { output } = devCluster();
    expect(output).toMatch(/^\[\d+(m\d+)?s\] ControlPlane dev: \w+ (False|Unknown) \w+/m);
    expect(output).toMatch(/^\[\d+(m\d+)?s\] every Node is Ready/m);
    expect(output).toContain(`export KUBECONFIG=${join(stateDir, 'cluster.kubeconfig')}`);
    expect(devCluster().kubectlPath).toMatch(/\/kubectl$/);
    expect(output).toContain(`--kubeconfig ${join(stateDir, 'management', 'kubeconfig')} get kubesmith`);
    expect(output).toContain('npm run dev:down');
  });

  it('has every Node Ready, through the printed kubeconfig and kubectl', async () => {
    const nodes = (JSON.parse(await devCluster().kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] }).items;
    expect(nodes.map((n) => n.metadata!.name).sort()).toEqual(['cp-1', 'w-1']);
    for (const node of nodes) expect(node.status!.conditions!.find((c) => c.type === 'Ready'), node.metadata!.name).toMatchObject({ status: 'True' });
  });

  it('says it is already running when started again, and dev:status shows the resources', async () => {
    expect(await npmRun('dev')).toContain('already running');
    const status = await npmRun('dev:status');
    expect(status).toContain('Nodes: 2/2 Ready');
    expect(status).toMatch(/^controlplane\.kubesmith\.io\/dev\s/m);
  });

  it('runs a pod on every Node; they reach each other by IP, through a ClusterIP and a NodePort, and by name', async () => {
    const { kubectl, registry } = devCluster();
    const ips = await podOnEveryNode(kubectl, ['cp-1', 'w-1'], `${registry}/kubesmith/netcheck:1`);
    await expectPodToPod(kubectl, ips);
    await expectServices(kubectl, 'cp-1', 'w-1');
    await expectDns(kubectl, 'w-1', 'cluster.local', OUTSIDE_NAME);
    if (network === 'host-gw' || network === 'vxlan') {
      const nodes = (JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] }).items;
      for (const node of nodes) expect(node.metadata!.annotations?.['flannel.alpha.coreos.com/backend-type'], node.metadata!.name).toBe(network);
    }
  });
});

describe('npm run dev:down', () => {
  it('stops every process and removes every container, network and the state directory', async () => {
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as DevState;
    const pids = state.processes.map((p) => p.process.pid);
    expect(state.processes.map((p) => p.name).sort()).toEqual(['artifact mirror', 'etcd', 'image registry', 'kube-apiserver', 'operator', 'upstream DNS']);
    expect(pids.every(isRunning)).toBe(true);

    await npmRun('dev:down');

    expect(pids.filter(isRunning)).toEqual([]);
    // Nothing else runs with this environment's directory on its command line (etcd, the registry, the mirror).
    const { stdout: left } = await run('pgrep', ['-af', stateDir]).catch(() => ({ stdout: '' }));
    expect(left).toBe('');
    const containers = await docker('ps', '-aq', '--no-trunc', '--filter', 'label=io.kubesmith.test');
    for (const id of state.containers) expect(containers).not.toContain(id);
    // No test host of this environment (hostnames dev-1, dev-2) is left; another run's hosts may have come meanwhile.
    const added = containers.filter((id) => !before.containers.includes(id));
    const hostnames = (await Promise.all(added.map((id) => docker('inspect', '-f', '{{.Config.Hostname}}', id).catch(() => [])))).flat();
    expect(hostnames.filter((h) => /^dev-\d+$/.test(h))).toEqual([]);
    const networks = await docker('network', 'ls', '--format', '{{.Name}}');
    expect(networks).not.toContain(state.network);
    expect(existsSync(stateDir)).toBe(false);
  });
});

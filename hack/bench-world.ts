// What every benchmark on real test hosts shares: each thing it makes is registered with its removal
// while it is being made, and everything is removed on the way out (success, error, SIGINT or
// SIGTERM), newest first; and the management cluster the controllers run against.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig, repoRoot } from '../test/support/manifests.ts';

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

// ControlPlane benchmark on real test hosts (figures, not a test):
//   node hack/bench-control-plane.ts [rounds=3]
// For 1 and 3 members, fresh hosts each round: wall time from the ControlPlane's creation (its hosts
// already Ready) to EtcdClusterHealthy=True, median of the rounds; and for 3 members the time one
// member add takes, from cp-2 showing in the member list as a learner to it being a voter, watched
// from cp-1 every 100 ms. Each round
// starts with an empty artifact cache, so it includes the download from the loopback mirror.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { eventResource, resourcePath } from '../src/runtime/resources.ts';
import { createControlPlane, etcdctlOnHost, startControlPlaneEnv, waitForControlPlane } from '../test/support/control-plane-env.ts';
import { startHosts, type TestHost } from '../test/support/hosts.ts';
import { createKeySecret, waitForCondition } from '../test/support/machine-host-env.ts';
import { ensureBinaries, startManagementCluster } from '../test/support/management-cluster.ts';
import { installCrds, loadKubeConfig, repoRoot } from '../test/support/manifests.ts';
import { createControlPlaneHost } from '../test/e2e/control-plane/support.ts';

const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

execFileSync('bash', [join(repoRoot, 'hack', 'ensure-docker.sh')], { stdio: 'inherit' });
process.env.KUBESMITH_HOST_IMAGE = execFileSync('bash', [join(repoRoot, 'hack', 'build-host-image.sh')], { encoding: 'utf8' }).trim();
const binDir = ensureBinaries();
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-bench-cp-'));
const cluster = await startManagementCluster({ dir, binDir });

/** Polls the member list on `host` until `name` (at `address`) is a voter; resolves to ms from learner to voter. */
function watchMemberAdd(host: TestHost, name: string, address: string): { stop(): Promise<number> } {
  let listed: number | undefined;
  let voter: number | undefined;
  let stopped = false;
  const command = etcdctlOnHost('https://127.0.0.1:2379', 'member list -w json');
  const loop = (async () => {
    while (!stopped && voter === undefined) {
      const r = await host.run(command);
      if (r.exitCode === 0) {
        const entry = (JSON.parse(r.stdout) as { members: { name?: string; peerURLs: string[]; isLearner?: boolean }[] }).members.find(
          (m) => m.name === name || m.peerURLs.includes(`https://${address}:2380`),
        );
        if (entry && listed === undefined) listed = performance.now();
        if (entry && !entry.isLearner && entry.name) voter = performance.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      if (listed === undefined || voter === undefined) throw new Error(`${name} was not seen joining`);
      return voter - listed;
    },
  };
}

interface RawEvent {
  type: string;
  note: string;
  eventTime: string;
  regarding: { name: string };
}

try {
  installCrds(binDir, cluster.kubeconfigPath);
  const kc = loadKubeConfig(cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  for (const members of [1, 3]) {
    const walls: number[] = [];
    const adds: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const ns = `bench-cp${members}-${round}`;
      await core.createNamespace({ body: { metadata: { name: ns } } });
      const [test, env] = await Promise.all([startHosts(members, { prefix: `b${members}r${round}` }), startControlPlaneEnv(kc, ns)]);
      try {
        await createKeySecret(env.client, ns, 'ssh-key', test.keyPair.privateKey);
        await Promise.all(test.hosts.map((h, i) => createControlPlaneHost(env.client, ns, `cp-${i + 1}`, h)));
        await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, ns, `cp-${i + 1}`, 'Ready', 'True', undefined, 300_000)));
        const watch = members > 1 ? watchMemberAdd(test.hosts[0]!, 'cp-2', test.hosts[1]!.address) : undefined;
        const started = performance.now();
        await createControlPlane(env.client, ns, 'bench', { replicas: members, artifacts: { baseURL: env.mirror.baseURL, checksumPolicy: 'Required' } });
        await waitForControlPlane(env.client, ns, 'bench', 'EtcdClusterHealthy', 'True', undefined, 600_000);
        const wall = (performance.now() - started) / 1000;
        walls.push(wall);
        let addNote = '';
        if (watch) {
          const add = (await watch.stop()) / 1000;
          adds.push(add);
          addNote = `; member add of cp-2 (learner listed -> voter) ${add.toFixed(2)} s`;
        }
        console.log(`${members} member(s), round ${round}: hosts Ready -> EtcdClusterHealthy ${wall.toFixed(2)} s${addNote}`);
        const { items: events } = await env.client.list<RawEvent>(resourcePath(eventResource, ns));
        for (const warning of events.filter((e) => e.type === 'Warning')) console.log(`  warning event: ${warning.note}`);
      } finally {
        await env.stop().catch(() => {});
        await test.stop();
      }
    }
    console.log(`${members} member(s): median of ${rounds}: ${median(walls).toFixed(2)} s (${walls.map((w) => w.toFixed(2)).join(', ')})`);
    if (adds.length) console.log(`one member add: median ${median(adds).toFixed(2)} s (${adds.map((a) => a.toFixed(2)).join(', ')})`);
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}

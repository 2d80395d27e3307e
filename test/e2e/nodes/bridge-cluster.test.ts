// One control-plane host and workers with the `bridge` network: a containerd archive with a wrong
// checksum installs nothing; a pool without its ControlPlane waits and a pod range that disagrees is
// refused; then every host becomes a Ready Node with its labels, taints and pod
// range; pods on every Node reach each other by IP, through a ClusterIP and a NodePort Service;
// `kubectl logs` and `exec` work through kubelets the API server verifies; images come only from
// the test registry (one through spec.registryMirrors); a second reconcile writes nothing; a
// kubelet stopped by hand is started again; a containerd configuration edited by hand is put back; the pool scales 2 -> 3 -> 1, draining through the
// Eviction API with a PodDisruptionBudget kept, and the removed hosts are given back clean; a drain
// the budget holds ends in a condition and goes on once the budget is relaxed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { WorkerPool } from '../../../src/api/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_VERSIONS } from '../../../src/controllers/node/versions.ts';
import { networkAddonResource, workerPoolResource } from '../../../src/controllers/resources.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import { DRAIN_TIMEOUT_MS, nudgeControlPlane, waitForControlPlane } from '../../support/control-plane-env.ts';
import {
  createNetworkAddon,
  createTestControlPlane,
  createWorkerPool,
  getWorkerPool,
  readyClusterHosts,
  waitForNetworkAddon,
  waitForWorkerPool,
  type ClusterWorld,
} from '../../support/cluster-world.ts';
import type { TestHost } from '../../support/hosts.ts';
import { eventsFor, getMachineHost } from '../../support/machine-host-env.ts';
import { nudgeObject } from '../../support/object-conditions.ts';
import { waitFor } from '../../support/wait.ts';
import { workloadCluster, type WorkloadCluster } from '../../support/workload-cluster.ts';
import { settle, sh } from '../control-plane/support.ts';

const CP = 'nodes';
const POOL = 'workers';
const NET = 'pods';
let world: ClusterWorld;
let cluster: WorkloadCluster;

const host = (name: string): TestHost => world.hosts.get(name)!;
const kubectl = (...args: string[]) => cluster.kubectl(args);
const netcheckImage = () => `${world.registry.host}/kubesmith/netcheck:1`;

async function nodes(): Promise<Map<string, V1Node>> {
  const list = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] };
  return new Map(list.items.map((n) => [n.metadata!.name!, n]));
}

async function pods(selector: string): Promise<V1Pod[]> {
  return (JSON.parse(await kubectl('get', 'pods', '-l', selector, '-o', 'json')) as { items: V1Pod[] }).items;
}

const ready = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true && !pod.metadata?.deletionTimestamp;

function podManifest(name: string, node: string, image: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'netcheck' } },
    spec: {
      nodeName: node,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'netcheck', image, ports: [{ containerPort: 8080 }] }],
    },
  });
}

async function apply(manifest: string): Promise<void> {
  const file = join(cluster.kubeconfigPath, '..', `m-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, manifest);
  await kubectl('apply', '-f', file);
}

async function setReplicas(replicas: number): Promise<void> {
  await world.env.client.patch(resourcePath(workerPoolResource, world.namespace, POOL), { spec: { replicas } }, 'application/merge-patch+json');
}

beforeAll(async () => {
  world = await readyClusterHosts('nodes', 1, 3);
});
afterAll(async () => {
  await world?.stop();
});

describe('Nodes from a ControlPlane, a WorkerPool and a bridge NetworkAddon on real hosts', () => {
  it('refuses a containerd archive whose SHA-256 is not the published one, and installs no node', async () => {
    const v = NODE_VERSIONS.containerd;
    const sums = join(world.env.mirror.root, `containerd/containerd/releases/download/v${v}/containerd-${v}-linux-amd64.tar.gz.sha256sum`);
    const good = readFileSync(sums, 'utf8');
    writeFileSync(sums, good.replace(/^[0-9a-f]{64}/, '0'.repeat(64)));
    try {
      await createTestControlPlane(world, CP);
      const cp = await waitForControlPlane(world.env.client, world.namespace, CP, 'NodesRegistered', 'False', 'ArtifactChecksumMismatch', 240_000);
      expect(cp.status!.conditions!.find((c) => c.type === 'NodesRegistered')!.message).toContain('nothing from it was installed');
      // The control plane itself serves: only its Nodes wait.
      expect(cp.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'True' });
      const found = await host('cp-1').run('ls /usr/local/bin/containerd /usr/local/bin/kubelet /etc/systemd/system/containerd.service /etc/systemd/system/kubelet.service 2>&1');
      expect(found.stdout.match(/No such file or directory/g)).toHaveLength(4);
    } finally {
      writeFileSync(sums, good);
    }
  });

  it('keeps a pool whose ControlPlane does not exist waiting, and refuses a pod range that disagrees with the ControlPlane’s', async () => {
    await createWorkerPool(world.env.client, world.namespace, 'orphans', { controlPlaneRef: { name: 'nowhere' }, hostSelector: { matchLabels: { role: 'none' } } });
    const orphans = await waitForWorkerPool(world.env.client, world.namespace, 'orphans', 'ControlPlaneAvailable', 'False', 'WaitingForControlPlane', 60_000);
    expect(orphans.status!.conditions!.find((c) => c.type === 'ControlPlaneAvailable')!.message).toContain('ControlPlane cl-');
    expect(orphans.status!.conditions!.find((c) => c.type === 'ControlPlaneAvailable')!.message).toContain('/nowhere does not exist');
    expect(orphans.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
    await world.env.client.delete(resourcePath(workerPoolResource, world.namespace, 'orphans'));

    await createNetworkAddon(world.env.client, world.namespace, 'wrong', { controlPlaneRef: { name: CP }, podCIDR: '10.99.0.0/16' });
    const wrong = await waitForNetworkAddon(world.env.client, world.namespace, 'wrong', 'ControlPlaneAvailable', 'False', 'PodCIDRMismatch', 60_000);
    const message = wrong.status!.conditions!.find((c) => c.type === 'ControlPlaneAvailable')!.message;
    expect(message).toContain('10.99.0.0/16');
    expect(message).toContain('10.244.0.0/16');
    expect(wrong.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'PodCIDRMismatch' });
    expect(wrong.status!.conditions!.find((c) => c.type === 'Installed')).toMatchObject({ status: 'False', reason: 'WaitingForControlPlaneAvailable' });
    await world.env.client.delete(resourcePath(networkAddonResource, world.namespace, 'wrong'));
  });

  it('makes every host a Ready Node with its role’s labels, taints and its own pod range', async () => {
    await createWorkerPool(world.env.client, world.namespace, POOL, {
      controlPlaneRef: { name: CP },
      replicas: 2,
      kubelet: { nodeLabels: { tier: 'web' }, taints: [{ key: 'kubesmith.io/test', value: 'yes', effect: 'PreferNoSchedule' }] },
    });
    await createNetworkAddon(world.env.client, world.namespace, NET, { controlPlaneRef: { name: CP } });
    // The checksum was a fault only a person could fix, so the ControlPlane waits to be told.
    await nudgeControlPlane(world.env.client, world.namespace, CP);
    const pool = await waitForWorkerPool(world.env.client, world.namespace, POOL, 'Ready', 'True', undefined, 200_000);
    expect(pool.status).toMatchObject({ replicas: 2, readyReplicas: 2, nodes: ['w-1', 'w-2'] });
    const addon = await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Ready', 'True');
    expect(addon.status?.nodes).toEqual(['cp-1', 'w-1', 'w-2']);
    await waitForControlPlane(world.env.client, world.namespace, CP, 'Ready', 'True');
    cluster = await workloadCluster(world.env.client, world.namespace, CP);
    const all = await nodes();
    expect([...all.keys()].sort()).toEqual(['cp-1', 'w-1', 'w-2']);
    const cp = all.get('cp-1')!;
    expect(cp.metadata!.labels).toHaveProperty('node-role.kubernetes.io/control-plane', '');
    expect(cp.spec!.taints).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
    for (const name of ['w-1', 'w-2']) {
      const node = all.get(name)!;
      expect(node.metadata!.labels).toMatchObject({ tier: 'web' });
      expect(node.metadata!.labels).not.toHaveProperty('node-role.kubernetes.io/control-plane');
      expect(node.spec!.taints).toContainEqual({ key: 'kubesmith.io/test', value: 'yes', effect: 'PreferNoSchedule' });
      expect(node.status!.addresses).toContainEqual({ type: 'InternalIP', address: host(name).address });
    }
    const ranges = [...all.values()].map((n) => n.spec!.podCIDR!);
    expect(new Set(ranges).size).toBe(3);
    for (const range of ranges) expect(range).toMatch(/^10\.244\.\d+\.0\/24$/);
    for (const node of all.values()) expect(node.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  });

  it('runs a pod on every Node; they reach each other by IP and behind a ClusterIP and a NodePort Service', async () => {
    const names = ['cp-1', 'w-1', 'w-2'];
    for (const node of names) await apply(podManifest(`netcheck-${node}`, node, netcheckImage()));
    await kubectl('wait', '--for=condition=Ready', 'pod', '-l', 'app=netcheck', '--timeout=180s');
    const running = await pods('app=netcheck');
    const ipOf = new Map(running.map((p) => [p.metadata!.name!, p.status!.podIP!]));
    for (const from of names) {
      for (const to of names.filter((n) => n !== from)) {
        const answer = await kubectl('exec', `netcheck-${from}`, '--', '/netcheck', 'get', `http://${ipOf.get(`netcheck-${to}`)}:8080`);
        expect(answer.trim()).toBe(`netcheck-${to}`);
      }
    }
    await apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'netcheck' },
        spec: { type: 'NodePort', selector: { app: 'netcheck' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
    );
    const service = JSON.parse(await kubectl('get', 'service', 'netcheck', '-o', 'json')) as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
    // kube-proxy writes a new Service's rules within a second or so; a client retries as this one does.
    const viaClusterIP = await waitFor(
      'the ClusterIP to answer',
      () => kubectl('exec', 'netcheck-w-1', '--', '/netcheck', 'get', `http://${service.spec.clusterIP}`).then((out) => out.trim(), () => ''),
      60_000,
      500,
    );
    expect(names.map((n) => `netcheck-${n}`)).toContain(viaClusterIP);
    const nodePort = service.spec.ports[0]!.nodePort;
    const viaNodePort = await waitFor('the NodePort to answer', async () => (await host('cp-1').run(`curl -sf -m 5 http://${host('w-2').address}:${nodePort}/`)).stdout.trim(), 60_000, 500);
    expect(names.map((n) => `netcheck-${n}`)).toContain(viaNodePort);
    // Logs and exec go from the API server to the kubelet, which it verifies against the cluster CA.
    expect(await kubectl('logs', 'netcheck-w-2')).toContain('netcheck: serving netcheck-w-2');
    const apiserverUnit = await sh(host('cp-1'), 'cat /etc/systemd/system/kube-apiserver.service');
    expect(apiserverUnit).toContain('--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt');
  });

  it('pulls through spec.registryMirrors, and from nowhere but the test registry', async () => {
    await apply(podManifest('mirrored', 'w-1', 'docker.io/library/netcheck:1'));
    await kubectl('wait', '--for=condition=Ready', 'pod/mirrored', '--timeout=120s');
    // The registry logs a request after answering it.
    await waitFor('the mirrored pull in the registry log', () => world.registry.pulls().some((p) => p.repository === 'library/netcheck' && p.client === host('w-1').address), 10_000, 100);
    const pulls = world.registry.pulls();
    expect(pulls.some((p) => p.repository === 'kubesmith/pause')).toBe(true);
    for (const name of ['cp-1', 'w-1', 'w-2']) {
      const images = (await sh(host(name), 'ctr -n k8s.io images ls -q')).split('\n').filter((l) => l && !l.startsWith('sha256:'));
      const registry = world.registry.host.replace(/\./g, '\\.');
      for (const image of images) expect(image).toMatch(new RegExp(`^(${registry}/|docker\\.io/library/netcheck[:@])`));
    }
  });

  it('changes nothing on a second reconcile', async () => {
    const files = `find /etc/kubernetes /usr/local/bin /etc/systemd/system /etc/containerd /var/lib/kubelet/config.yaml /etc/cni/net.d -type f -printf '%T@ %p\\n' | sort -k2`;
    const pids = 'for u in containerd kubelet kube-proxy; do systemctl show -p MainPID --value $u; done';
    const w1 = host('w-1');
    const [beforeFiles, beforePids] = [await sh(w1, files), await sh(w1, pids)];
    const changes = (await eventsFor(world.env.client, world.namespace, POOL)).filter((e) => e.reason === 'HostChanged').length;
    await settle(world.env.workerPool, () => nudgeObject(world.env.client, workerPoolResource, world.namespace, POOL));
    expect(await sh(w1, files)).toBe(beforeFiles);
    expect(await sh(w1, pids)).toBe(beforePids);
    expect((await eventsFor(world.env.client, world.namespace, POOL)).filter((e) => e.reason === 'HostChanged').length).toBe(changes);
    expect(changes).toBeGreaterThan(5);
  });

  it('starts a kubelet stopped by hand on a worker, and says so', async () => {
    await sh(host('w-2'), 'systemctl stop kubelet');
    await nudgeObject(world.env.client, workerPoolResource, world.namespace, POOL);
    await waitFor('kubelet started again', async () => (await host('w-2').run('systemctl is-active kubelet')).stdout.trim() === 'active', 60_000, 200);
    await waitFor('an Event saying so', async () => (await eventsFor(world.env.client, world.namespace, POOL)).some((e) => e.note === 'w-2: started kubelet'), 60_000, 200);
  });

  it('puts back a containerd configuration edited by hand, and restarts containerd to read it', async () => {
    const w1 = host('w-1');
    const pid = await sh(w1, 'systemctl show -p MainPID --value containerd');
    const config = await sh(w1, 'cat /etc/containerd/config.toml');
    await sh(w1, "sed -i 's/SystemdCgroup = true/SystemdCgroup = false/' /etc/containerd/config.toml");
    await nudgeObject(world.env.client, workerPoolResource, world.namespace, POOL);
    await waitFor('the configuration put back', async () => (await sh(w1, 'cat /etc/containerd/config.toml')) === config, 60_000, 200);
    await waitFor('containerd restarted', async () => (await sh(w1, 'systemctl show -p MainPID --value containerd')) !== pid, 60_000, 200);
    await waitFor('an Event saying so', async () => (await eventsFor(world.env.client, world.namespace, POOL)).some((e) => e.note === 'w-1: restarted containerd for changed settings'), 60_000, 200);
    await waitForWorkerPool(world.env.client, world.namespace, POOL, 'Ready', 'True');
  });

  it('scales 2 -> 3 -> 1: the new Node joins, the removed ones are drained with the budget kept, and their hosts go back clean', { timeout: 900_000 }, async () => {
    await apply(
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: netcheckImage() }] } },
        },
      }),
    );
    await apply(JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } }));
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');

    await setReplicas(3);
    await poolWhere('w-3 to join', (status) => status?.readyReplicas === 3, 240_000);
    await waitForWorkerPool(world.env.client, world.namespace, POOL, 'Ready', 'True');
    expect((await nodes()).get('w-3')?.metadata?.labels).toMatchObject({ tier: 'web' });
    await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Ready', 'True');
    await waitFor('the pod network on w-3', async () => (await getPodNetworkNodes()).includes('w-3'), 60_000, 500);

    // Sampled all through the scale-down: never fewer than the budget's one Ready web pod.
    let fewest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // A sample the API server did not answer tells nothing; the next one does.
        const web = await pods('app=web').catch(() => undefined);
        if (web) fewest = Math.min(fewest, web.filter(ready).length);
      }
    })();
    try {
      await setReplicas(1);
      await poolWhere('the pool to shrink to w-1', (status) => status?.replicas === 1 && status.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 300_000);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(fewest).toBeGreaterThanOrEqual(1);
    expect((await getWorkerPool(world.env.client, world.namespace, POOL)).status?.nodes).toEqual(['w-1']);
    expect([...(await nodes()).keys()].sort()).toEqual(['cp-1', 'w-1']);
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
    const web = (await pods('app=web')).filter(ready);
    expect(web).toHaveLength(2);
    for (const pod of web) expect(pod.spec!.nodeName).toBe('w-1');
    const notes = (await eventsFor(world.env.client, world.namespace, POOL)).map((e) => e.note);
    expect(notes).toContain('drained and deleted Node w-2');
    expect(notes).toContain('drained and deleted Node w-3');
    for (const name of ['w-2', 'w-3']) {
      expect((await getMachineHost(world.env.client, world.namespace, name)).status?.consumerRef).toBeUndefined();
      const left = await host(name).run(
        'ls /usr/local/bin/kubelet /usr/local/bin/kube-proxy /usr/local/bin/containerd /usr/local/sbin/runc /etc/systemd/system/kubelet.service ' +
          '/etc/systemd/system/containerd.service /etc/kubernetes/kubelet.conf /var/lib/kubelet /etc/cni/net.d/10-kubesmith-bridge.conflist 2>&1; ' +
          'pgrep -l -x "kubelet|containerd|kube-proxy|containerd-shim"; ip route show proto 199; ip link show cni0 2>&1',
      );
      // ls prints the paths that are there; every one should be gone.
      expect(left.stdout).not.toMatch(/^\/(usr|etc|var)\//m);
      expect(left.stdout.match(/No such file or directory/g)).toHaveLength(9);
      expect(left.stdout).toContain('does not exist');
      expect(left.stdout).not.toMatch(/^\d+ (kubelet|containerd|kube-proxy|containerd-shim)$/m);
      expect(left.stdout).not.toMatch(/via /);
    }
    // The remaining hosts no longer route to the ranges of the Nodes that left.
    const routes = await sh(host('cp-1'), 'ip route show proto 199');
    expect(routes.trim().split('\n')).toHaveLength(1);
    expect(routes).toContain(`via ${host('w-1').address}`);
  });

  it('ends a drain a PodDisruptionBudget holds in a condition that names the pod, deleting nothing, and goes on once it is relaxed', async () => {
    // Two web pods on w-1, at least one must stay: with nowhere else to run, the second never may go.
    await setReplicas(0);
    const stalled = await poolWhere(
      'the drain to time out',
      (status) => status?.conditions?.find((c) => c.type === 'HostsReleased')?.reason === 'DrainTimedOut',
      DRAIN_TIMEOUT_MS + 120_000,
    );
    const released = stalled!.conditions!.find((c) => c.type === 'HostsReleased')!;
    expect(released.message).toMatch(/PodDisruptionBudget blocks evicting default\/web-/);
    expect(released.message).toContain('never force-deletes');
    expect(stalled!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'DrainTimedOut' });
    expect((await nodes()).get('w-1')!.spec!.unschedulable).toBe(true);
    expect((await getMachineHost(world.env.client, world.namespace, 'w-1')).status?.consumerRef).toEqual({ kind: 'WorkerPool', name: POOL });
    expect((await pods('app=web')).filter(ready).map((p) => p.spec!.nodeName)).toEqual(['w-1']);

    await kubectl('delete', 'pdb', 'web');
    await nudgeObject(world.env.client, workerPoolResource, world.namespace, POOL);
    await poolWhere('the pool to give w-1 back', (status) => status?.replicas === 0 && status.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 180_000);
    expect((await getMachineHost(world.env.client, world.namespace, 'w-1')).status?.consumerRef).toBeUndefined();
    expect([...(await nodes()).keys()]).toEqual(['cp-1']);
  });
});

async function getPodNetworkNodes(): Promise<string[]> {
  const addon = await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Installed', 'True');
  return addon.status?.nodes ?? [];
}

/** Waits for the pool's status to satisfy `check`; on timeout, says what the status was. */
async function poolWhere(what: string, check: (status: WorkerPool['status']) => boolean, timeoutMs: number): Promise<WorkerPool['status']> {
  let last: WorkerPool['status'];
  try {
    await waitFor(what, async () => check((last = (await getWorkerPool(world.env.client, world.namespace, POOL)).status)), timeoutMs, 500);
    return last;
  } catch (error) {
    throw new Error(`${(error as Error).message}; status was ${JSON.stringify(last)}`, { cause: error });
  }
}

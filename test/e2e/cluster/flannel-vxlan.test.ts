// A whole cluster from the four resources on real hosts: one control-plane host and workers with
// flannel's vxlan network and CoreDNS. Every Node turns Ready; pods on every Node reach each other
// by IP, through a ClusterIP and a NodePort Service, and by name through cluster DNS, which also
// forwards a name outside the cluster to the hosts' upstream; CoreDNS stays Ready with its loop
// plugin on; every image comes from the test registry; a worker added later gets the network with
// nothing else restarted; a second reconcile writes nothing; a pod MTU from the spec is taken when
// smaller than flannel's and refused when larger; deleting the NetworkAddon takes flannel off the
// cluster and its traces off the hosts.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { NetworkAddon } from '../../../src/api/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COREDNS_VERSION } from '../../../src/controllers/control-plane/dns/manifests.ts';
import { FLANNEL_VERSION } from '../../../src/controllers/network-addon/flannel/manifests.ts';
import { networkAddonResource, workerPoolResource } from '../../../src/controllers/resources.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import {
  createNetworkAddon,
  createTestControlPlane,
  createWorkerPool,
  getWorkerPool,
  OUTSIDE_NAME,
  readyClusterHosts,
  waitForNetworkAddon,
  waitForWorkerPool,
  type ClusterWorld,
} from '../../support/cluster-world.ts';
import { expectDns, expectPodToPod, expectServices, netcheck, podOnEveryNode } from '../../support/conformance.ts';
import { nudgeControlPlane, waitForControlPlane } from '../../support/control-plane-env.ts';
import type { TestHost } from '../../support/hosts.ts';
import { eventsFor } from '../../support/machine-host-env.ts';
import { nudgeObject } from '../../support/object-conditions.ts';
import { waitFor } from '../../support/wait.ts';
import { workloadCluster, type WorkloadCluster } from '../../support/workload-cluster.ts';
import { settle, sh } from '../control-plane/support.ts';

const CP = 'whole';
const POOL = 'workers';
const NET = 'flannel';
const CONFLIST = '/etc/cni/net.d/10-kubesmith-flannel.conflist';
let world: ClusterWorld;
let cluster: WorkloadCluster;

const host = (name: string): TestHost => world.hosts.get(name)!;
const kubectl = (...args: string[]) => cluster.kubectl(args);
const image = () => `${world.registry.host}/kubesmith/netcheck:1`;

async function podsIn(namespace: string, selector: string): Promise<V1Pod[]> {
  return (JSON.parse(await kubectl('get', 'pods', '-n', namespace, '-l', selector, '-o', 'json')) as { items: V1Pod[] }).items;
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const serving = (pod: V1Pod) => isReady(pod) && !pod.metadata?.deletionTimestamp;
const restarts = (pod: V1Pod) => pod.status?.containerStatuses?.reduce((sum, c) => sum + c.restartCount, 0) ?? 0;

/** CoreDNS sampled every couple of seconds from the moment it serves, to show it keeps serving. */
const coreDnsSamples: { at: number; ready: number; restarts: number; pods: string }[] = [];
let sampler: ReturnType<typeof setInterval> | undefined;
let inFlight: Promise<void> = Promise.resolve();

async function sampleCoreDns(): Promise<void> {
  const pods = await podsIn('kube-system', 'k8s-app=kube-dns').catch(() => undefined);
  if (!pods) return;
  // A replica moved apart just before (CoreDNSSpread) may still be shutting down: not serving, not counted.
  const up = pods.filter(serving);
  const seen = up.map((p) => `${p.metadata!.name}@${p.spec?.nodeName}`).join(', ');
  coreDnsSamples.push({ at: Date.now(), ready: up.length, restarts: up.reduce((s, p) => s + restarts(p), 0), pods: seen });
}

function startSampling(): void {
  sampler = setInterval(() => {
    inFlight = inFlight.then(sampleCoreDns);
  }, 2_000);
}

async function stopSampling(): Promise<void> {
  clearInterval(sampler);
  await inFlight;
}

/** The pool's ControlPlaneAvailable messages while it is False, read until it turns True. */
async function poolMessagesUntilAvailable(): Promise<string[]> {
  const messages = new Set<string>();
  await waitFor(
    `WorkerPool ${POOL} ControlPlaneAvailable True`,
    async () => {
      const c = (await getWorkerPool(world.env.client, world.namespace, POOL)).status?.conditions?.find((x) => x.type === 'ControlPlaneAvailable');
      if (c?.status === 'False') messages.add(c.message);
      return c?.status === 'True';
    },
    200_000,
    100,
  );
  return [...messages];
}

/** What each host runs, for a bring-up that did not finish: the failure says where it stopped. */
async function hostsState(): Promise<string> {
  const probe =
    'echo "kubelet $(systemctl is-active kubelet), containerd $(systemctl is-active containerd), cni: $(ls /etc/cni/net.d 2>/dev/null | tr "\\n" " "), ' +
    'lease: $(grep SUBNET /run/flannel/subnet.env 2>/dev/null)"; journalctl -u kubelet -n 8 --no-pager -o cat 2>/dev/null';
  const states = await Promise.all([...world.hosts].map(async ([name, h]) => `--- ${name}: ${(await h.run(probe)).stdout}`));
  return states.join('\n');
}

async function setReplicas(replicas: number): Promise<void> {
  await world.env.client.patch(resourcePath(workerPoolResource, world.namespace, POOL), { spec: { replicas } }, 'application/merge-patch+json');
}

beforeAll(async () => {
  world = await readyClusterHosts('flannel', 1, 3);
});
afterAll(async () => {
  await stopSampling();
  await world?.stop();
});

describe('a whole cluster with flannel vxlan and CoreDNS from four resources', () => {
  it('brings every Node Ready on flannel vxlan, with the MTU derived from the hosts, and CoreDNS serving on two Nodes', async () => {
    await createTestControlPlane(world, CP);
    await createWorkerPool(world.env.client, world.namespace, POOL, { controlPlaneRef: { name: CP }, replicas: 2 });
    const whileWaiting = poolMessagesUntilAvailable();
    await createNetworkAddon(world.env.client, world.namespace, NET, { controlPlaneRef: { name: CP }, provider: 'flannel', flannel: { backend: 'vxlan' } });
    const addon = await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Ready', 'True', undefined, 200_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await hostsState()}`, { cause: error });
    });
    expect(addon.status?.nodes).toEqual(['cp-1', 'w-1', 'w-2']);
    // The hosts' eth0 carries 1500; vxlan takes 50 of it.
    expect(addon.status!.conditions!.find((c) => c.type === 'Installed')!.message).toBe('flannel vxlan on 3 Nodes, pod MTU 1450');
    await waitForWorkerPool(world.env.client, world.namespace, POOL, 'Ready', 'True');
    const cp = await waitForControlPlane(world.env.client, world.namespace, CP, 'Ready', 'True', undefined, 240_000);
    expect(cp.status!.conditions!.find((c) => c.type === 'CoreDNSReady')!.message).toMatch(/^2 CoreDNS replicas ready on .+; kube-dns at 10\.96\.0\.10$/);
    // The workers were sent their binaries while the control plane came up, not once it served.
    expect(await whileWaiting).toContainEqual(expect.stringMatching(/is not Available yet .*; node binaries are on w-1, w-2$/));
    cluster = await workloadCluster(world.env.client, world.namespace, CP);
    startSampling();

    const nodes = (JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] }).items;
    expect(nodes.map((n) => n.metadata!.name).sort()).toEqual(['cp-1', 'w-1', 'w-2']);
    for (const node of nodes) {
      expect(node.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
      const h = host(node.metadata!.name!);
      expect(await sh(h, 'ip -d link show flannel.1')).toMatch(/vxlan id 1 .*dstport 8472/s);
      const conflist = JSON.parse(await sh(h, `cat ${CONFLIST}`)) as { plugins: { mtu?: number; ipam?: { ranges: { subnet: string }[][] } }[] };
      expect(conflist.plugins[0]).toMatchObject({ mtu: 1450, ipam: { ranges: [[{ subnet: node.spec!.podCIDR }]] } });
      // flanneld's lease is the Node's own range.
      expect(await sh(h, 'cat /run/flannel/subnet.env')).toContain(`FLANNEL_SUBNET=${node.spec!.podCIDR!.replace(/0\/24$/, '1/24')}`);
    }
    const flannel = await podsIn('kube-flannel', 'app=flannel');
    expect(flannel.map((p) => p.spec!.nodeName).sort()).toEqual(['cp-1', 'w-1', 'w-2']);
    // A replica just moved apart (CoreDNSSpread) may still be shutting down: only the serving ones count.
    const dns = (await podsIn('kube-system', 'k8s-app=kube-dns')).filter(serving);
    expect(dns).toHaveLength(2);
    expect(new Set(dns.map((p) => p.spec!.nodeName)).size).toBe(2);
    const service = JSON.parse(await kubectl('get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'json')) as { spec: { clusterIP: string } };
    expect(service.spec.clusterIP).toBe('10.96.0.10');
  });

  it('runs a pod on every Node; they reach each other by IP, through a ClusterIP and a NodePort, and by name', async () => {
    const ips = await podOnEveryNode(kubectl, ['cp-1', 'w-1', 'w-2'], image());
    await expectPodToPod(kubectl, ips);
    await expectServices(kubectl, 'w-1', 'w-2');
    const asked = world.dns.queries().length;
    await expectDns(kubectl, 'w-2', 'cluster.local', OUTSIDE_NAME);
    // The outside name went to the hosts' resolver, the one the kubelet's resolv.conf names.
    expect(world.dns.queries().slice(asked)).toContain(OUTSIDE_NAME.name);
  });

  it('pulls flannel, CoreDNS and every other image from the test registry only', async () => {
    const pulled = new Set(world.registry.pulls().map((p) => p.repository));
    for (const repository of ['kubesmith/flannel', 'kubesmith/coredns', 'kubesmith/pause']) expect(pulled).toContain(repository);
    const registry = world.registry.host.replace(/\./g, '\\.');
    for (const name of ['cp-1', 'w-1', 'w-2']) {
      const images = (await sh(host(name), 'ctr -n k8s.io images ls -q')).split('\n').filter((l) => l && !l.startsWith('sha256:'));
      for (const i of images) expect(i).toMatch(new RegExp(`^${registry}/kubesmith/`));
    }
    const onWorkers = await sh(host('w-1'), 'ctr -n k8s.io images ls -q');
    expect(onWorkers).toContain(`kubesmith/flannel:${FLANNEL_VERSION}`);
    expect(await sh(host('cp-1'), 'ctr -n k8s.io images ls -q') + onWorkers + (await sh(host('w-2'), 'ctr -n k8s.io images ls -q'))).toContain(`kubesmith/coredns:${COREDNS_VERSION}`);
  });

  it('gives a worker added later the network, restarting nothing else', async () => {
    const before = {
      flannel: (await podsIn('kube-flannel', 'app=flannel')).map((p) => `${p.metadata!.uid}:${restarts(p)}`).sort(),
      dns: (await podsIn('kube-system', 'k8s-app=kube-dns')).filter(serving).map((p) => `${p.metadata!.uid}:${restarts(p)}`).sort(),
    };
    const units = 'for u in containerd kubelet kube-proxy; do systemctl show -p MainPID --value $u; done; stat -c %Y /etc/cni/net.d/10-kubesmith-flannel.conflist';
    const hostState = async () => Promise.all(['cp-1', 'w-1', 'w-2'].map((n) => sh(host(n), units)));
    const beforeHosts = await hostState();
    await setReplicas(3);
    const pool = await waitFor(
      'the pool Ready at 3',
      async () => {
        const p = await getWorkerPool(world.env.client, world.namespace, POOL);
        return p.status?.replicas === 3 && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
      },
      240_000,
      500,
    );
    expect(pool.status?.nodes).toEqual(['w-1', 'w-2', 'w-3']);
    const addon = await waitFor(
      'the network Ready on w-3',
      async () => {
        const a = await world.env.client.get<NetworkAddon>(resourcePath(networkAddonResource, world.namespace, NET));
        return a.status?.nodes?.includes('w-3') && a.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? a : undefined;
      },
      240_000,
      500,
    );
    expect(addon.status?.nodes).toEqual(['cp-1', 'w-1', 'w-2', 'w-3']);
    const ips = await podOnEveryNode(kubectl, ['w-3'], image(), 'late');
    const others = await podOnEveryNode(kubectl, ['cp-1', 'w-1', 'w-2'], image());
    expect(await netcheck(kubectl, 'late-w-3', 'get', `http://${others.get('cp-1')}:8080`)).toBe('netcheck-cp-1');
    expect(await netcheck(kubectl, 'netcheck-w-1', 'get', `http://${ips.get('w-3')}:8080`)).toBe('late-w-3');
    expect(await netcheck(kubectl, 'late-w-3', 'resolve', 'kubernetes')).toBe('10.96.0.1');

    expect((await podsIn('kube-flannel', 'app=flannel')).map((p) => `${p.metadata!.uid}:${restarts(p)}`).filter((id) => before.flannel.includes(id)).sort()).toEqual(before.flannel);
    expect((await podsIn('kube-system', 'k8s-app=kube-dns')).filter(serving).map((p) => `${p.metadata!.uid}:${restarts(p)}`).sort()).toEqual(before.dns);
    expect(await hostState()).toEqual(beforeHosts);
  });

  it('changes nothing on a second reconcile of the NetworkAddon or the ControlPlane', async () => {
    const files = `find /etc/cni/net.d /run/flannel -type f -printf '%T@ %p\\n' | sort -k2; iptables -t nat -S POSTROUTING | grep -c kubesmith`;
    const before = await Promise.all(['cp-1', 'w-3'].map((n) => sh(host(n), files)));
    const events = (await eventsFor(world.env.client, world.namespace, NET)).length;
    await settle(world.env.networkAddonPool, () => nudgeObject(world.env.client, networkAddonResource, world.namespace, NET));
    expect(await Promise.all(['cp-1', 'w-3'].map((n) => sh(host(n), files)))).toEqual(before);
    expect((await eventsFor(world.env.client, world.namespace, NET)).length).toBe(events);
    expect(events).toBeGreaterThan(0);
    // Nor does the ControlPlane's: CoreDNS applied again is no change.
    const dns = JSON.parse(await kubectl('get', 'deployment', '-n', 'kube-system', 'coredns', '-o', 'json')) as { metadata: { generation: number; resourceVersion: string } };
    const cpEvents = (await eventsFor(world.env.client, world.namespace, CP)).length;
    await settle(world.env.pool, () => nudgeControlPlane(world.env.client, world.namespace, CP));
    expect((await eventsFor(world.env.client, world.namespace, CP)).length).toBe(cpEvents);
    const after = JSON.parse(await kubectl('get', 'deployment', '-n', 'kube-system', 'coredns', '-o', 'json')) as typeof dns;
    expect(after.metadata.generation).toBe(dns.metadata.generation);
  });

  it('keeps CoreDNS Ready with its loop plugin on, sampled for a minute', async () => {
    const corefile = JSON.parse(await kubectl('get', 'configmap', '-n', 'kube-system', 'coredns', '-o', 'json')) as { data: { Corefile: string } };
    expect(corefile.data.Corefile).toMatch(/^\s+loop$/m);
    expect(corefile.data.Corefile).toContain('forward . /etc/resolv.conf');
    await waitFor('a minute of samples', () => coreDnsSamples.length > 0 && coreDnsSamples.at(-1)!.at - coreDnsSamples[0]!.at >= 60_000, 120_000, 1_000);
    expect(coreDnsSamples.length).toBeGreaterThanOrEqual(20);
    for (const sample of coreDnsSamples) expect(sample, sample.pods).toMatchObject({ ready: 2, restarts: 0 });
    // The same two pods served all along: nothing replaced them.
    expect(new Set(coreDnsSamples.map((s) => s.pods)).size, [...new Set(coreDnsSamples.map((s) => s.pods))].join(' | ')).toBe(1);
  });

  it('takes a smaller pod MTU from the spec, and refuses one larger than flannel carries, naming the limit', async () => {
    const setMtu = (mtu: number | null) =>
      world.env.client.patch(resourcePath(networkAddonResource, world.namespace, NET), { spec: { mtu } }, 'application/merge-patch+json');
    const podMtu = async () => (JSON.parse(await sh(host('w-1'), `cat ${CONFLIST}`)) as { plugins: { mtu: number }[] }).plugins[0]!.mtu;
    await setMtu(1400);
    await waitFor('pod MTU 1400 on w-1', async () => (await podMtu()) === 1400, 60_000, 500);
    await setMtu(9000);
    const refused = await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Installed', 'False', 'MTUTooLarge', 60_000);
    expect(refused.status!.conditions!.find((c) => c.type === 'Installed')!.message).toMatch(/spec\.mtu 9000 is more than flannel can carry on Node \S+ \(1450, .*set spec\.mtu to 1450 or less/);
    expect(refused.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'MTUTooLarge' });
    expect(await podMtu()).toBe(1400);
    await setMtu(null);
    await waitForNetworkAddon(world.env.client, world.namespace, NET, 'Ready', 'True');
    expect(await podMtu()).toBe(1450);
  });

  it('takes flannel off the cluster and its traces off every host when the NetworkAddon is deleted', async () => {
    await stopSampling();
    await world.env.client.delete(resourcePath(networkAddonResource, world.namespace, NET));
    await waitFor(
      'the NetworkAddon to be gone',
      () => world.env.client.get(resourcePath(networkAddonResource, world.namespace, NET)).then(() => false, () => true),
      240_000,
      500,
    );
    expect(await kubectl('get', 'daemonset', '-A', '-l', 'app=flannel', '-o', 'name')).toBe('');
    expect(await kubectl('get', 'clusterrole', 'flannel', '--ignore-not-found')).toBe('');
    // The namespace goes once the API server has emptied it.
    await waitFor('the kube-flannel namespace to go', async () => (await kubectl('get', 'namespace', 'kube-flannel', '--ignore-not-found')) === '', 120_000, 1_000);
    const nodes = (JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] }).items;
    for (const node of nodes) expect(Object.keys(node.metadata!.annotations ?? {}).filter((k) => k.startsWith('flannel.alpha.coreos.com/'))).toEqual([]);
    for (const name of ['cp-1', 'w-1', 'w-2', 'w-3']) {
      const left = await sh(
        host(name),
        `ip link show flannel.1 2>/dev/null; ip link show cni0 2>/dev/null; ls ${CONFLIST} /run/flannel 2>/dev/null; iptables -t nat -S POSTROUTING | grep kubesmith; true`,
      );
      expect(left, name).toBe('');
    }
  });
});

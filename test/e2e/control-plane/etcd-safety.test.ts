// etcd never splits and never trusts a stranger, on real hosts: the endpoint chosen first is kept
// when hosts that sort before it join; a member whose MachineHost is gone is reported and removed
// while the quorum allows; a member that lost its data rejoins as a learner of the same cluster,
// and the repair is reported even when the reconcile then fails; a host that answers for another
// cluster is reported and left alone; a rolling restart waits while another member is down; a
// surplus host that cannot be reached leaves etcd through the others and is given back with a
// CleanupPending condition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneResource, machineHostResource } from '../../../src/controllers/resources.ts';
import { MERGE_PATCH } from '../../../src/runtime/kube-client.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import { createControlPlane, etcdctlOnHost, getControlPlane, waitForControlPlane, type ControlPlaneEnv } from '../../support/control-plane-env.ts';
import type { TestHost, TestHosts } from '../../support/hosts.ts';
import { eventsFor, getMachineHost } from '../../support/machine-host-env.ts';
import { waitFor } from '../../support/wait.ts';
import { workloadCluster } from '../../support/workload-cluster.ts';
import { readyControlPlaneHosts, sh, type ControlPlaneWorld } from './support.ts';

const CP = 'safe';
let namespace: string;
let test: TestHosts;
let env: ControlPlaneEnv;
let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await readyControlPlaneHosts('safe', 4);
  ({ namespace, test, env } = world);
});
afterAll(async () => {
  await world?.stop();
});

const host = (name: string): TestHost => test.hosts[Number(name.slice(3)) - 1]!;
const etcdctl = (name: string, args: string) => sh(host(name), etcdctlOnHost(`https://${host(name).address}:2379`, args));

interface MemberList {
  header: { cluster_id: number | string };
  members: { ID: number | string; name: string; isLearner?: boolean }[];
}

/** The member list as `name` sees it, with 64-bit IDs kept as text. */
async function memberList(name: string): Promise<MemberList> {
  const raw = await etcdctl(name, 'member list -w json');
  return JSON.parse(raw.replace(/"(ID|cluster_id|member_id)":(\d+)/g, '"$1":"$2"')) as MemberList;
}

const voters = async (name: string) => (await memberList(name)).members.filter((m) => !m.isLearner).map((m) => m.name).sort();

async function patchSpec(spec: object): Promise<void> {
  await env.client.patch(resourcePath(controlPlaneResource, namespace, CP), { spec }, MERGE_PATCH);
}

/**
 * Runs hands-on work on hosts while the ControlPlane is paused, as an admin would: no reconcile is
 * under way from the moment the paused spec is observed, so the steps cannot interleave with one.
 */
async function whilePaused(work: () => Promise<void>): Promise<void> {
  await patchSpec({ paused: true });
  await waitFor('the pause observed', async () => {
    const cp = await getControlPlane(env.client, namespace, CP);
    const claimed = cp.status?.conditions?.find((c) => c.type === 'HostsClaimed');
    return cp.status?.observedGeneration === cp.metadata.generation && claimed?.reason === 'Paused';
  }, 120_000, 200);
  try {
    await work();
  } finally {
    await patchSpec({ paused: false });
  }
}

async function settledHealthy(members: number) {
  return waitFor(`${members} healthy members, the spec observed`, async () => {
    const cp = await getControlPlane(env.client, namespace, CP);
    const ready = cp.status?.conditions?.find((c) => c.type === 'EtcdClusterHealthy');
    const ok = cp.status?.observedGeneration === cp.metadata.generation && ready?.status === 'True' && cp.status?.etcdMembers?.length === members;
    return ok ? cp : undefined;
  }, 300_000, 500);
}

describe('etcd safety on real hosts', () => {
  it('keeps the first endpoint, and every certificate valid, when hosts that sort before it join', async () => {
    // Only cp-3 may be claimed at first, so the endpoint is chosen on it.
    await env.client.patch(resourcePath(machineHostResource, namespace, 'cp-3'), { metadata: { labels: { first: 'yes' } } }, MERGE_PATCH);
    await createControlPlane(env.client, namespace, CP, {
      hostSelector: { matchLabels: { role: 'control-plane', first: 'yes' } },
      artifacts: { baseURL: env.mirror.baseURL, checksumPolicy: 'Required' },
    });
    const first = await waitForControlPlane(env.client, namespace, CP, 'Available', 'True', undefined, 300_000);
    const endpoint = `${host('cp-3').address}:6443`;
    expect(first.status?.endpoint).toBe(endpoint);
    // A merge patch: `first: null` takes that label out of the selector.
    await patchSpec({ replicas: 3, hostSelector: { matchLabels: { role: 'control-plane', first: null } } });
    await waitFor('cp-1 and cp-2 claimed', async () => (await getMachineHost(env.client, namespace, 'cp-1')).status?.consumerRef?.name === CP, 60_000, 500);
    const grown = await waitFor('three members serving', async () => {
      const cp = await waitForControlPlane(env.client, namespace, CP, 'Available', 'True', undefined, 300_000);
      return cp.status?.readyReplicas === 3 && cp.status.observedGeneration === cp.metadata.generation ? cp : undefined;
    }, 300_000, 1_000);
    expect(grown.status?.endpoint).toBe(endpoint);
    expect(grown.status!.conditions!.find((c) => c.type === 'CertificatesReady')).toMatchObject({ status: 'True' });
    for (const name of ['cp-1', 'cp-2', 'cp-3']) {
      const apiserver = await sh(host(name), 'openssl verify -CAfile /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/apiserver.crt && openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName');
      expect(apiserver, name).toContain(`IP Address:${host('cp-3').address}`);
      expect(apiserver, name).toContain(`IP Address:${host(name).address}`);
      expect(await sh(host(name), 'grep -c "server: https://' + endpoint + '" /etc/kubernetes/admin.conf'), name).toBe('1\n');
    }
    const cluster = await workloadCluster(env.client, namespace, CP);
    expect(await cluster.kubectl(['get', '--raw', '/readyz'])).toBe('ok');
    await etcdctl('cp-3', 'put /kubesmith/before-faults kept');
  });

  it('counts every voter: a member whose MachineHost was deleted is reported and taken out while the quorum allows', async () => {
    const before = await getControlPlane(env.client, namespace, CP);
    await env.client.delete(resourcePath(machineHostResource, namespace, 'cp-2'));
    // cp-4 takes cp-2's place; cp-2's etcd still runs and votes until it is removed.
    await waitFor('cp-2 out of etcd', async () => !(await voters('cp-1')).includes('cp-2'), 300_000, 1_000);
    const cp = await settledHealthy(3);
    expect(await voters('cp-1')).toEqual(['cp-1', 'cp-3', 'cp-4']);
    expect(cp.status?.etcdClusterID).toBe(before.status?.etcdClusterID);
    // Reported: the Event is recorded when the reconcile that removed it ends.
    await waitFor('an Event naming the removed member', async () =>
      (await eventsFor(env.client, namespace, CP)).some(
        (e) => e.reason === 'EtcdMembershipRepaired' && /removed etcd member cp-2 \w+ at https:\/\/[\d.]+:2380, which no claimed MachineHost accounts for/.test(e.note),
      ), 60_000, 500);
    expect(await etcdctl('cp-4', 'get /kubesmith/before-faults --print-value-only')).toBe('kept\n');
  });

  it('rejoins a member that lost its data directory as a learner of the same cluster, never as a new one, and says so though the reconcile then fails', async () => {
    const clusterId = (await memberList('cp-3')).header.cluster_id;
    const oldId = (await memberList('cp-3')).members.find((m) => m.name === 'cp-3')!.ID;
    // The first-start settings were dropped once the cluster formed, so etcd cannot bootstrap alone here.
    expect((await host('cp-3').run('test -e /etc/etcd/bootstrap.env')).exitCode).not.toBe(0);
    // The disk is lost while nothing else happens; resuming sets off the reconcile. etcdctl on cp-3
    // is also refused its local endpoint, so the reconcile that rejoins it fails afterwards, waiting
    // for it to answer: the repair is reported all the same.
    const refuseLocal = '-p tcp -d 127.0.0.1 --dport 2379 -j REJECT --reject-with tcp-reset';
    await whilePaused(() =>
      sh(host('cp-3'), `systemctl stop etcd && mv /var/lib/etcd /var/lib/etcd.lost && install -d -m 0700 /var/lib/etcd && iptables -w -I INPUT ${refuseLocal}`).then(() => {}),
    );
    try {
      await waitFor('an Event saying so', async () =>
        (await eventsFor(env.client, namespace, CP)).some((e) => e.note === 'cp-3 lost its etcd data directory: removed its old member, and it joins afresh as a learner'), 300_000, 500);
      // Still refused, so the reconcile that made the repair could not have ended well.
      await waitFor('the failure reported beside it', async () => {
        const etcd = (await getControlPlane(env.client, namespace, CP)).status?.conditions?.find((c) => c.type === 'EtcdClusterHealthy');
        return etcd?.status === 'False' && /cp-3 (does not answer after joining|is unhealthy)/.test(etcd.message);
      }, 60_000, 500);
    } finally {
      await sh(host('cp-3'), `iptables -w -D INPUT ${refuseLocal}`);
    }
    const list = await memberList('cp-1');
    const three = list.members.find((m) => m.name === 'cp-3')!;
    expect(three.ID).not.toBe(oldId);
    expect(three.isLearner ?? false).toBe(false);
    await settledHealthy(3);
    expect((await memberList('cp-3')).header.cluster_id).toBe(clusterId);
    expect(await etcdctl('cp-3', 'get /kubesmith/before-faults --print-value-only')).toBe('kept\n');
  }, 600_000);

  it('reports a member that answers for another cluster and never uses or changes it', async () => {
    const four = host('cp-4');
    const peer = `https://${four.address}:2380`;
    const votersBefore = await voters('cp-1');
    // cp-4 restarted alone as the first member of a cluster of its own.
    await whilePaused(async () => {
      await sh(
        four,
        'systemctl stop etcd && mv /var/lib/etcd /var/lib/etcd.theirs && install -d -m 0700 /var/lib/etcd && ' +
          `printf 'ETCD_INITIAL_CLUSTER=cp-4=${peer}\\nETCD_INITIAL_CLUSTER_STATE=new\\n' > /etc/etcd/bootstrap.env && systemctl start etcd`,
      );
    });
    const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'False', 'ForeignEtcdMember', 120_000);
    expect(cp.status!.conditions!.find((c) => c.type === 'EtcdClusterHealthy')!.message).toContain('cp-4 (cluster');
    expect(cp.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'ForeignEtcdMember' });
    expect(await voters('cp-1')).toEqual(votersBefore);
    expect((await memberList('cp-4')).members.map((m) => m.name)).toEqual(['cp-4']);
    expect(cp.status!.conditions!.find((c) => c.type === 'EtcdClusterHealthy')!.message).toContain('set spec.paused to true');
    // The fix the message asks for: paused, stop it and move its data aside; it then joins this cluster afresh.
    await whilePaused(async () => {
      await sh(four, 'systemctl stop etcd && rm -f /etc/etcd/bootstrap.env && mv /var/lib/etcd /var/lib/etcd.moved && install -d -m 0700 /var/lib/etcd');
    });
    await settledHealthy(3);
    expect(await voters('cp-4')).toEqual(['cp-1', 'cp-3', 'cp-4']);
    expect(await etcdctl('cp-4', 'get /kubesmith/before-faults --print-value-only')).toBe('kept\n');
  });

  it('rolls a changed unit only while every other member is healthy', async () => {
    const pids = async () => Promise.all(['cp-1', 'cp-3', 'cp-4'].map((n) => sh(host(n), 'systemctl show -p MainPID --value etcd')));
    const before = await pids();
    await sh(host('cp-4'), 'kill -STOP $(systemctl show -p MainPID --value etcd)');
    try {
      await patchSpec({ etcd: { extraArgs: { 'heartbeat-interval': '150' } } });
      const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'False', 'WaitingForHealthyMembers', 120_000);
      expect(cp.status!.conditions!.find((c) => c.type === 'EtcdClusterHealthy')!.message).toMatch(/waits to restart etcd .* cp-4 is unhealthy/);
      // Checked while it waits: no member was taken down.
      expect(await pids()).toEqual(before);
    } finally {
      await sh(host('cp-4'), 'kill -CONT $(systemctl show -p MainPID --value etcd)');
    }
    await waitFor('every member restarted', async () => (await pids()).every((pid, i) => pid !== before[i]), 300_000, 1_000);
    await settledHealthy(3);
  });

  it('takes a surplus host that cannot be reached out of etcd through the others and gives it back, cleanup pending', async () => {
    // The endpoint's host (cp-3) stays; cp-1 and cp-4 are surplus, and cp-1 is switched off.
    const [gone, kept] = ['cp-1', 'cp-4'];
    await host(gone!).container.stop();
    await patchSpec({ replicas: 1 });
    await waitFor('both surplus hosts given back', async () => {
      const hosts = await Promise.all([gone!, kept!].map((n) => getMachineHost(env.client, namespace, n)));
      return hosts.every((h) => !h.status?.consumerRef);
    }, 300_000, 1_000);
    const stopped = await getMachineHost(env.client, namespace, gone!);
    expect(stopped.status?.conditions?.find((c) => c.type === 'CleanupPending')).toMatchObject({ status: 'True', reason: 'HostUnreachable' });
    const reached = await getMachineHost(env.client, namespace, kept!);
    expect(reached.status?.conditions?.find((c) => c.type === 'CleanupPending')).toBeUndefined();
    const cp = await settledHealthy(1);
    expect(cp.status?.etcdMembers?.map((m) => m.host)).toEqual(['cp-3']);
    expect(await voters('cp-3')).toEqual(['cp-3']);
    expect(await etcdctl('cp-3', 'get /kubesmith/before-faults --print-value-only')).toBe('kept\n');
  });
});

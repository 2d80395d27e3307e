// Scaling a three-member control plane to five and back to three on real hosts: members join and
// leave one at a time with quorum kept throughout, data written before is read after, and the hosts
// that leave are out of etcd, stopped, and given back; a member whose removal would cost the quorum
// stays until the others are healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneResource } from '../../../src/controllers/resources.ts';
import { MERGE_PATCH } from '../../../src/runtime/kube-client.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import {
  createControlPlane,
  etcdctlOnHost,
  waitForControlPlane,
  type ControlPlaneEnv,
} from '../../support/control-plane-env.ts';
import type { TestHosts } from '../../support/hosts.ts';
import { getMachineHost } from '../../support/machine-host-env.ts';
import { waitFor } from '../../support/wait.ts';
import { readyControlPlaneHosts, sh, type ControlPlaneWorld } from './support.ts';

const CP = 'grow';
let namespace: string;
let test: TestHosts;
let env: ControlPlaneEnv;
let world: ControlPlaneWorld;

beforeAll(async () => {
  world = await readyControlPlaneHosts('grow', 5);
  ({ namespace, test, env } = world);
});
afterAll(async () => {
  await world?.stop();
});

const endpoint = (i: number) => `https://${test.hosts[i]!.address}:2379`;

async function setReplicas(replicas: number): Promise<void> {
  await env.client.patch(resourcePath(controlPlaneResource, namespace, CP), { spec: { replicas } }, MERGE_PATCH);
}

async function voters(i: number): Promise<string[]> {
  const list = JSON.parse(await sh(test.hosts[i]!, etcdctlOnHost(endpoint(i), 'member list -w json'))) as { members: { name: string; isLearner?: boolean }[] };
  return list.members.filter((m) => !m.isLearner).map((m) => m.name).sort();
}

describe('ControlPlane scaling on real hosts', () => {
  it('grows from three members to five, keeping the data', async () => {
    await createControlPlane(env.client, namespace, CP, { replicas: 3, artifacts: { baseURL: env.mirror.baseURL, checksumPolicy: 'Required' } });
    await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'True', undefined, 240_000);
    await sh(test.hosts[0]!, etcdctlOnHost(endpoint(0), 'put /kubesmith/before-scaling 3'));
    await setReplicas(5);
    const cp = await waitFor('five healthy members', async () => {
      const c = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'True', undefined, 240_000);
      return c.status?.etcdMembers?.length === 5 && c.status.replicas === 5 ? c : undefined;
    }, 240_000, 500);
    expect(cp.status?.etcdMembers?.every((m) => m.healthy && !m.learner)).toBe(true);
    expect(await voters(4)).toEqual(['cp-1', 'cp-2', 'cp-3', 'cp-4', 'cp-5']);
    expect(await sh(test.hosts[4]!, etcdctlOnHost(endpoint(4), 'get /kubesmith/before-scaling --print-value-only'))).toBe('3\n');
  });

  it('shrinks back to three: the last two leave etcd, stop, and are given back; the data stays', async () => {
    await sh(test.hosts[3]!, etcdctlOnHost(endpoint(3), 'put /kubesmith/at-five 5'));
    await setReplicas(3);
    await waitFor('cp-4 and cp-5 given back', async () => {
      const [four, five] = await Promise.all([getMachineHost(env.client, namespace, 'cp-4'), getMachineHost(env.client, namespace, 'cp-5')]);
      return !four.status?.consumerRef && !five.status?.consumerRef;
    }, 240_000, 500);
    const cp = await waitFor('three healthy members', async () => {
      const c = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'True', undefined, 120_000);
      return c.status?.etcdMembers?.length === 3 ? c : undefined;
    }, 120_000, 500);
    expect(cp.status?.etcdMembers?.map((m) => m.host).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(cp.status?.replicas).toBe(3);
    expect(await voters(0)).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(await sh(test.hosts[2]!, etcdctlOnHost(endpoint(2), 'get /kubesmith/at-five --print-value-only'))).toBe('5\n');
    expect(await sh(test.hosts[0]!, etcdctlOnHost(endpoint(0), 'get /kubesmith/before-scaling --print-value-only'))).toBe('3\n');
    for (const i of [3, 4]) {
      const state = await test.hosts[i]!.run(
        'systemctl is-active etcd kube-apiserver kube-scheduler; test -e /etc/systemd/system/etcd.service || echo no-unit; ' +
          'ls -d /var/lib/etcd.removed-* && test -z "$(ls -A /var/lib/etcd)" && echo emptied; ls /etc/kubernetes/pki 2>/dev/null | wc -l',
      );
      expect(state.stdout).toMatch(/^inactive\ninactive\ninactive\nno-unit\n\/var\/lib\/etcd\.removed-\d{14}\nemptied\n0\n$/);
    }
  });

  it('does not remove a member while the members left without it would lack a quorum', async () => {
    // cp-1 stays; with it frozen, taking out healthy cp-3 would leave cp-1 and cp-2 with one healthy voter.
    // (A frozen surplus member would simply go first: that costs no healthy voter.)
    const one = test.hosts[0]!;
    await sh(one, 'kill -STOP $(systemctl show -p MainPID --value etcd)');
    try {
      await setReplicas(1);
      // A reconcile in flight may first spend its timeouts on the frozen member's API server.
      const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'False', 'WaitingForQuorum', 300_000);
      expect(cp.status!.conditions!.find((c) => c.type === 'EtcdClusterHealthy')!.message).toBe(
        'cp-3 stays in etcd for now: without it 2 voters would need 2 healthy for a quorum, and 1 are; it is removed once the others are healthy',
      );
      expect(await voters(1)).toEqual(['cp-1', 'cp-2', 'cp-3']);
      expect((await getMachineHost(env.client, namespace, 'cp-3')).status?.consumerRef).toEqual({ kind: 'ControlPlane', name: CP });
    } finally {
      await sh(one, 'kill -CONT $(systemctl show -p MainPID --value etcd)');
    }
    await waitFor('cp-2 and cp-3 given back', async () => {
      const [b, c] = await Promise.all([getMachineHost(env.client, namespace, 'cp-2'), getMachineHost(env.client, namespace, 'cp-3')]);
      return !b.status?.consumerRef && !c.status?.consumerRef;
    }, 120_000, 500);
    const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'True', undefined, 120_000);
    expect(cp.status?.etcdMembers?.map((m) => m.host)).toEqual(['cp-1']);
    expect(await voters(0)).toEqual(['cp-1']);
    expect(await sh(test.hosts[0]!, etcdctlOnHost(endpoint(0), 'get /kubesmith/at-five --print-value-only'))).toBe('5\n');
  }, 600_000);
});

// A MachineHost reached through a bastion: both host keys recorded and pinned, the connection
// really going through the jump host, and a changed bastion key refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost, TestHosts } from '../../support/hosts.ts';
import {
  RECORDED_BASTION_HOST_KEY_ANNOTATION,
  RECORDED_HOST_KEY_ANNOTATION,
} from '../../../src/controllers/machine-host/host-key-pin.ts';
import { testKubeConfig } from '../../support/kube.ts';
import {
  createMachineHost,
  nudge,
  hostsWithController,
  waitForCondition,
  type HostWorld,
  type MachineHostEnv,
} from '../../support/machine-host-env.ts';

const kc = testKubeConfig();
let namespace: string;
let test: TestHosts;
let env: MachineHostEnv;
let world: HostWorld;
let jump: TestHost;
let inner: TestHost;
const keyLine = (line: string) => line.split(' ').slice(0, 2).join(' ');

beforeAll(async () => {
  world = await hostsWithController(kc, { namespace: 'bastion', hosts: 'jump' }, 2);
  ({ namespace, test, env } = world);
  [jump, inner] = test.hosts as [TestHost, TestHost];
});
afterAll(async () => {
  await world?.stop();
});

describe('MachineHost behind a bastion', () => {
  it('prepares the host through the jump host, recording and pinning both host keys', async () => {
    await createMachineHost(env.client, namespace, 'inner', inner, { bastion: { address: jump.address, port: 22, user: 'root' } });
    const mh = await waitForCondition(env.client, namespace, 'inner', 'Ready', 'True');
    expect(mh.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(keyLine(inner.hostKey));
    expect(mh.metadata.annotations?.[RECORDED_BASTION_HOST_KEY_ANNOTATION]).toBe(keyLine(jump.hostKey));
    // The pooled connection is still open: sshd on the host sees it coming from the jump host.
    const peers = (await inner.run("ss -Htn state established '( sport = :22 )' | awk '{print $4}'")).stdout;
    expect(peers).toContain(`${jump.address}:`);
    expect((await inner.run('cat /etc/hostname')).stdout.trim()).toBe('inner');
  });

  it('refuses a bastion whose key changed, and touches nothing behind it', async () => {
    const pinned = keyLine(jump.hostKey);
    env.pool.close();
    jump = await test.recreate(jump);
    expect(keyLine(jump.hostKey)).not.toBe(pinned);
    await inner.run('sysctl -w net.ipv4.ip_forward=0');
    await nudge(env.client, namespace, 'inner');
    const refused = await waitForCondition(env.client, namespace, 'inner', 'Reachable', 'False', 'HostKeyMismatch');
    expect(refused.status?.conditions?.find((c) => c.type === 'Reachable')?.message).toContain(jump.address);
    expect(refused.metadata.annotations?.[RECORDED_BASTION_HOST_KEY_ANNOTATION]).toBe(pinned);
    expect(refused.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'HostKeyMismatch' });
    expect(refused.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'False' });
    expect((await inner.run('sysctl -n net.ipv4.ip_forward')).stdout.trim()).toBe('0');
  });
});

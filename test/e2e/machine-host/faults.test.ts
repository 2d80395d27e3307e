// Faults and bad input, each with a real host: what the conditions say, and that nothing ran where
// nothing should have.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { addSudoUser, generateKeyPair, type TestHost, type TestHosts } from '../../support/hosts.ts';
import { RECORDED_HOST_KEY_ANNOTATION } from '../../../src/controllers/machine-host/host-key-pin.ts';
import { testKubeConfig } from '../../support/kube.ts';
import {
  createMachineHost,
  eventsFor,
  getMachineHost,
  nudge,
  createKeySecret,
  hostsWithController,
  waitForCondition,
  type HostWorld,
  type MachineHostEnv,
} from '../../support/machine-host-env.ts';

const run = promisify(execFile);
const kc = testKubeConfig();
let namespace: string;
let test: TestHosts;
let env: MachineHostEnv;
let world: HostWorld;
const host = (i: number): TestHost => test.hosts[i]!;

beforeAll(async () => {
  world = await hostsWithController(kc, { namespace: 'faults', hosts: 'fault' }, 6);
  ({ namespace, test, env } = world);
});
afterAll(async () => {
  await world?.stop();
});

/** Whether kubesmith changed anything on the host: its sysctl file exists only once prep ran. */
async function prepared(h: TestHost): Promise<boolean> {
  return (await h.run('test -e /etc/sysctl.d/99-kubesmith.conf')).exitCode === 0;
}

describe('MachineHost faults', () => {
  it('refuses a wrong private key with AuthenticationFailed', async () => {
    await createKeySecret(env.client, namespace, 'wrong-key', generateKeyPair().privateKey);
    await createMachineHost(env.client, namespace, 'wrong-key', host(0), { sshKeySecretRef: { name: 'wrong-key', key: 'ssh-privatekey' } });
    const mh = await waitForCondition(env.client, namespace, 'wrong-key', 'Reachable', 'False', 'AuthenticationFailed');
    expect(mh.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'AuthenticationFailed' });
    // kstatus: only a person can fix a refused key, so it reads as failed, not in progress.
    expect(mh.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'AuthenticationFailed' });
    expect(mh.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'False', reason: 'Stalled' });
    expect(await prepared(host(0))).toBe(false);
  });

  it('says when the key Secret holds something that is not a private key, without connecting', async () => {
    await createKeySecret(env.client, namespace, 'garbled-key', 'not a key at all');
    await createMachineHost(env.client, namespace, 'garbled', host(0), { sshKeySecretRef: { name: 'garbled-key', key: 'ssh-privatekey' } });
    const mh = await waitForCondition(env.client, namespace, 'garbled', 'Reachable', 'False', 'SshKeyInvalid');
    expect(mh.status?.conditions?.find((c) => c.type === 'Reachable')?.message).toContain(
      `"ssh-privatekey" in Secret ${namespace}/garbled-key is not a usable private key`,
    );
    expect(mh.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBeUndefined();
    expect(mh.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'SshKeyInvalid' });
  });

  it('waits for a missing key Secret and recovers, without a restart, once it exists', async () => {
    await createMachineHost(env.client, namespace, 'late-key', host(1), { sshKeySecretRef: { name: 'late', key: 'ssh-privatekey' } });
    const waiting = await waitForCondition(env.client, namespace, 'late-key', 'Reachable', 'False', 'SshKeySecretMissing');
    expect(waiting.status?.conditions?.find((c) => c.type === 'Reachable')?.message).toContain(`Secret ${namespace}/late does not exist`);
    // Waiting is progress, not failure.
    expect(waiting.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', reason: 'SshKeySecretMissing' });
    expect(waiting.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
    await createKeySecret(env.client, namespace, 'late', test.keyPair.privateKey);
    await waitForCondition(env.client, namespace, 'late-key', 'Ready', 'True');
  });

  it('refuses a host whose key changed, runs nothing on it, and records an Event', async () => {
    await createMachineHost(env.client, namespace, 'rekeyed', host(2));
    const first = await waitForCondition(env.client, namespace, 'rekeyed', 'Ready', 'True');
    const pinned = first.status?.hostKeyFingerprint;
    const fresh = await test.recreate(host(2));
    expect(await prepared(fresh)).toBe(false);
    await nudge(env.client, namespace, 'rekeyed');
    const refused = await waitForCondition(env.client, namespace, 'rekeyed', 'Reachable', 'False', 'HostKeyMismatch', 120_000);
    expect(refused.status?.hostKeyFingerprint).toBe(pinned);
    expect(refused.status?.conditions?.find((c) => c.type === 'Reachable')?.message).toContain(`but ${pinned} is pinned`);
    expect(refused.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'HostKeyMismatch' });
    expect(refused.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'False' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await prepared(fresh)).toBe(false);
    const events = await eventsFor(env.client, namespace, 'rekeyed');
    expect(events.some((e) => e.reason === 'HostKeyMismatch' && e.type === 'Warning')).toBe(true);
  });

  it('says so when sudo wants a password, and runs nothing', async () => {
    await addSudoUser(host(3), 'ops', { password: 'not-used' });
    await createMachineHost(env.client, namespace, 'sudo-password', host(3), { user: 'ops' });
    const mh = await waitForCondition(env.client, namespace, 'sudo-password', 'Reachable', 'False', 'SudoPasswordRequired');
    expect(mh.status?.conditions?.find((c) => c.type === 'Reachable')?.message).toContain('ops');
    expect(await prepared(host(3))).toBe(false);
  });

  it('fails preflight while a Kubernetes port is taken, changes nothing, and passes once it is free', async () => {
    await host(3).run('systemd-run --unit=busy-port socat TCP-LISTEN:6443,reuseaddr,fork SYSTEM:true');
    await createMachineHost(env.client, namespace, 'busy-port', host(3));
    const mh = await waitForCondition(env.client, namespace, 'busy-port', 'PreflightPassed', 'False', 'ChecksFailed');
    expect(mh.status?.conditions?.find((c) => c.type === 'PreflightPassed')?.message).toContain('port 6443 already in use');
    expect(mh.status?.conditions?.find((c) => c.type === 'Prepared')).toMatchObject({ status: 'Unknown', reason: 'WaitingForPreflight' });
    expect(mh.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'ChecksFailed' });
    expect(await prepared(host(3))).toBe(false);
    await host(3).run('systemctl stop busy-port');
    await nudge(env.client, namespace, 'busy-port');
    await waitForCondition(env.client, namespace, 'busy-port', 'Ready', 'True');
  });

  it('prepares through passwordless sudo for a non-root user', async () => {
    await addSudoUser(host(4), 'deploy');
    await createMachineHost(env.client, namespace, 'sudo-ok', host(4), { user: 'deploy' });
    await waitForCondition(env.client, namespace, 'sudo-ok', 'Ready', 'True');
    expect(await prepared(host(4))).toBe(true);
  });

  it('leaves a paused host alone', async () => {
    await createMachineHost(env.client, namespace, 'paused', host(5), { paused: true });
    const mh = await waitForCondition(env.client, namespace, 'paused', 'Ready', 'Unknown', 'Paused');
    expect(mh.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBeUndefined();
    expect(await prepared(host(5))).toBe(false);
    await env.client.delete(`/apis/kubesmith.io/v1alpha1/namespaces/${namespace}/machinehosts/paused`);
  });

  it('reports an unreachable host while it is down and recovers when it is back', async () => {
    await createMachineHost(env.client, namespace, 'flaky', host(5));
    await waitForCondition(env.client, namespace, 'flaky', 'Ready', 'True');
    const id = host(5).container.getId();
    await run('docker', ['stop', '-t', '1', id]);
    try {
      await nudge(env.client, namespace, 'flaky');
      const down = await waitForCondition(env.client, namespace, 'flaky', 'Reachable', 'False', undefined, 120_000);
      expect(['HostUnreachable', 'ConnectionLost']).toContain(down.status?.conditions?.find((c) => c.type === 'Reachable')?.reason);
    } finally {
      await run('docker', ['start', id]);
    }
    await waitForCondition(env.client, namespace, 'flaky', 'Ready', 'True', undefined, 120_000);
  });

  it('flags two hosts with the same machine identity, both of them, and clears both once fixed', async () => {
    // This VM has no DMI, so product_uuid is absent; /etc/machine-id is the identity cloning copies.
    const id = (await host(0).run('cat /etc/machine-id')).stdout.trim();
    await host(1).run(`cp /etc/machine-id /root/machine-id.orig && echo ${id} > /etc/machine-id`);
    // The re-check (here: a nudge instead of waiting for the interval) records the cloned identity.
    await nudge(env.client, namespace, 'late-key');
    await waitFor('late-key to report the copied machine-id', async () => (await getMachineHost(env.client, namespace, 'late-key')).status?.facts?.machineID === id);
    await createMachineHost(env.client, namespace, 'twin-a', host(0));
    const a = await waitForCondition(env.client, namespace, 'twin-a', 'PreflightPassed', 'False', 'ChecksFailed');
    const b = await waitForCondition(env.client, namespace, 'late-key', 'PreflightPassed', 'False', 'ChecksFailed');
    expect(a.status?.conditions?.find((c) => c.type === 'PreflightPassed')?.message).toContain(`machine-id ${id} is also on late-key`);
    expect(b.status?.conditions?.find((c) => c.type === 'PreflightPassed')?.message).toContain(`machine-id ${id} is also on twin-a`);
    await host(1).run('cp /root/machine-id.orig /etc/machine-id');
    await nudge(env.client, namespace, 'late-key');
    await waitForCondition(env.client, namespace, 'late-key', 'PreflightPassed', 'True');
    await waitForCondition(env.client, namespace, 'twin-a', 'PreflightPassed', 'True');
  });

  it('names the operating system it does not support', async () => {
    const h = host(4);
    await h.run("cp /etc/os-release /root/os-release.orig && printf 'NAME=\"Alpine Linux\"\\nID=alpine\\nVERSION_ID=3.20.0\\nPRETTY_NAME=\"Alpine Linux v3.20\"\\n' > /etc/os-release");
    try {
      await nudge(env.client, namespace, 'sudo-ok');
      const mh = await waitForCondition(env.client, namespace, 'sudo-ok', 'PreflightPassed', 'False', 'UnsupportedOperatingSystem');
      expect(mh.status?.conditions?.find((c) => c.type === 'PreflightPassed')?.message).toContain('Alpine Linux v3.20');
      expect(mh.status?.facts?.kernel).toBeTruthy();
    } finally {
      await h.run('cp /root/os-release.orig /etc/os-release');
    }
  });
});

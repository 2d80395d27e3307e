// Three real hosts become Ready; a re-check of a prepared host changes nothing and costs one round
// trip on the pooled connection; drift in a sysctl is found and fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDED_HOST_KEY_ANNOTATION } from '../../../src/controllers/machine-host/host-key-pin.ts';
import { testKubeConfig } from '../../support/kube.ts';
import type { TestHosts } from '../../support/hosts.ts';
import {
  createMachineHost,
  eventsFor,
  nudge,
  hostsWithController,
  waitForCondition,
  type HostWorld,
  type MachineHostEnv,
} from '../../support/machine-host-env.ts';
import { waitFor } from '../../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
let test: TestHosts;
let env: MachineHostEnv;
let world: HostWorld;

beforeAll(async () => {
  world = await hostsWithController(kc, { namespace: 'prepare', hosts: 'boot' }, 3);
  ({ namespace, test, env } = world);
});
afterAll(async () => {
  await world?.stop();
});

/** Paths under /etc changed since the marker file was touched, and the hostname. */
async function snapshot(i: number): Promise<string> {
  const h = test.hosts[i]!;
  const { stdout } = await h.run('find /etc -newer /run/kubesmith-marker -type f 2>/dev/null | sort; hostname; stat -c %Y /etc/sysctl.d/99-kubesmith.conf');
  return stdout;
}

describe('MachineHost on real hosts', () => {
  it('connects, records the host key, gathers facts and prepares every host', async () => {
    await Promise.all(test.hosts.map((h, i) => createMachineHost(env.client, namespace, `node-${i + 1}`, h)));
    const ready = await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, namespace, `node-${i + 1}`, 'Ready', 'True')));
    for (const [i, mh] of ready.entries()) {
      const h = test.hosts[i]!;
      expect(mh.metadata.annotations?.[RECORDED_HOST_KEY_ANNOTATION]).toBe(h.hostKey.split(' ').slice(0, 2).join(' '));
      expect(mh.status?.hostKeyFingerprint).toMatch(/^SHA256:/);
      // kstatus (Flux, Argo CD): Ready, so neither in progress nor failed.
      expect(mh.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'False', reason: 'Converged' });
      expect(mh.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False', reason: 'NothingNeedsAPerson' });
      expect(mh.status?.facts).toMatchObject({ os: { id: 'debian', versionId: '12' }, arch: 'amd64', cgroupVersion: 1 });
      expect(mh.status?.facts?.cpus).toBeGreaterThanOrEqual(1);
      expect(mh.status?.observedGeneration).toBe(1);
      // cgroup v1 on this machine: passed with a warning that says so.
      expect(mh.status?.conditions?.find((c) => c.type === 'PreflightPassed')).toMatchObject({ reason: 'PassedWithWarnings' });
      const { stdout } = await h.run('hostname; cat /etc/hostname; sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/99-kubesmith.conf');
      expect(stdout).toContain(`node-${i + 1}\nnode-${i + 1}\n1\n`);
      expect(stdout).toContain('net.bridge.bridge-nf-call-iptables = 1');
    }
    const events = await eventsFor(env.client, namespace, 'node-1');
    expect(events.map((e) => e.note).join('\n')).toMatch(/wrote \/etc\/sysctl.d\/99-kubesmith.conf/);
    expect(events.map((e) => e.note).join('\n')).toMatch(/set hostname node-1/);
  });

  it('re-checks a prepared host without writing anything, in one round trip on the pooled connection', async () => {
    await test.hosts[0]!.run('touch /run/kubesmith-marker; sleep 1');
    const before = await snapshot(0);
    const counts = env.pool.counters.forHost(`root@${test.hosts[0]!.address}:22`);
    const eventsBefore = (await eventsFor(env.client, namespace, 'node-1')).length;
    const generation = (await waitForCondition(env.client, namespace, 'node-1', 'Ready', 'True')).metadata.resourceVersion;
    await nudge(env.client, namespace, 'node-1');
    await waitFor('the re-check', () => env.pool.counters.forHost(`root@${test.hosts[0]!.address}:22`).roundTrips > counts.roundTrips);
    await new Promise((r) => setTimeout(r, 500));
    const after = env.pool.counters.forHost(`root@${test.hosts[0]!.address}:22`);
    expect(after.roundTrips - counts.roundTrips).toBe(1);
    expect(after.connections - counts.connections).toBe(0);
    expect(await snapshot(0)).toBe(before);
    expect(before.split('\n')[0]).toBe('node-1');
    expect((await eventsFor(env.client, namespace, 'node-1')).length).toBe(eventsBefore);
    expect(generation).toBeTruthy();
  });

  it('finds a sysctl changed behind its back on the next check, fixes it and says so', async () => {
    await test.hosts[1]!.run('sysctl -w net.ipv4.ip_forward=0');
    await nudge(env.client, namespace, 'node-2');
    await waitFor('ip_forward back to 1', async () => (await test.hosts[1]!.run('sysctl -n net.ipv4.ip_forward')).stdout.trim() === '1');
    const drift = await waitFor('a DriftCorrected event', async () =>
      (await eventsFor(env.client, namespace, 'node-2')).find((e) => e.reason === 'DriftCorrected'),
    );
    expect(drift.note).toContain('set net.ipv4.ip_forward=1');
    expect(drift.type).toBe('Warning');
  });
});

// A connection cut in the middle of prep leaves a half-prepared host; the next reconcile finishes
// the job. Swap switched on again after Prepared is found by the interval re-check and turned off.
// One host in this file: swap is global to the kernel that all test hosts share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost, TestHosts } from '../../support/hosts.ts';
import { testKubeConfig } from '../../support/kube.ts';
import {
  createMachineHost,
  eventsFor,
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
let h: TestHost;

beforeAll(async () => {
  world = await hostsWithController(kc, { namespace: 'interrupted', hosts: 'cut' }, 1, { recheckIntervalMs: 2000 });
  ({ namespace, test, env } = world);
  h = test.hosts[0]!;
});
afterAll(async () => {
  await h?.run('swapoff -a; rm -f /var/lib/containerd/swapfile');
  await world?.stop();
});

describe('interrupted and drifting hosts', () => {
  it('completes prep on the next reconcile after the SSH connection is killed mid-way', async () => {
    // Make the sysctl step slow, so the connection can be killed while prep is under way.
    await h.run(
      "sysctl -w net.ipv4.ip_forward=0 && mv /usr/sbin/sysctl /usr/sbin/sysctl.real && " +
        "printf '#!/bin/sh\\ncase \"$*\" in *-w*) touch /run/sysctl-started; sleep 3;; esac\\nexec /usr/sbin/sysctl.real \"$@\"\\n' > /usr/sbin/sysctl && chmod +x /usr/sbin/sysctl",
    );
    await createMachineHost(env.client, namespace, 'cut', h);
    await waitFor('prep to reach the sysctl step', async () => (await h.run('test -e /run/sysctl-started')).exitCode === 0, 60_000, 50);
    await h.run("pkill -KILL -f 'sshd: root' || true; mv /usr/sbin/sysctl.real /usr/sbin/sysctl");
    const failed = await waitForCondition(env.client, namespace, 'cut', 'Prepared', 'False');
    expect(['ConnectionLost', 'CommandFailed', 'CommandTimeout']).toContain(failed.status?.conditions?.find((c) => c.type === 'Prepared')?.reason);
    expect((await h.run('cat /etc/hostname')).stdout.trim()).not.toBe('cut');
    await waitForCondition(env.client, namespace, 'cut', 'Ready', 'True');
    expect((await h.run('sysctl -n net.ipv4.ip_forward; cat /etc/hostname')).stdout).toBe('1\ncut\n');
  });

  it('turns swap off again, and out of fstab, when it comes back after Prepared', async () => {
    await waitForCondition(env.client, namespace, 'cut', 'Prepared', 'True');
    await h.run(
      'dd if=/dev/zero of=/var/lib/containerd/swapfile bs=1M count=16 status=none && chmod 600 /var/lib/containerd/swapfile && ' +
        'mkswap /var/lib/containerd/swapfile >/dev/null && swapon /var/lib/containerd/swapfile && ' +
        "echo '/var/lib/containerd/swapfile none swap sw 0 0' >> /etc/fstab",
    );
    await waitFor('swap off again', async () => (await h.run('tail -n +2 /proc/swaps')).stdout.trim() === '', 60_000, 200);
    const fstab = (await h.run('cat /etc/fstab')).stdout;
    expect(fstab).toContain('# /var/lib/containerd/swapfile none swap sw 0 0  # disabled by kubesmith');
    const drift = await waitFor('a DriftCorrected event', async () =>
      (await eventsFor(env.client, namespace, 'cut')).find((e) => e.reason === 'DriftCorrected'),
    );
    expect(drift.note).toContain('turned swap off (/var/lib/containerd/swapfile)');
    expect(drift.note).toContain('commented out 1 swap line(s) in /etc/fstab');
    const mh = await waitForCondition(env.client, namespace, 'cut', 'Ready', 'True');
    expect(mh.status?.facts?.swapBytes).toBe(0);
  });
});

// Helpers shared by the ControlPlane tests on real hosts.
import type { KubeClient } from '../../../src/runtime/kube-client.ts';
import { machineHostResource } from '../../../src/controllers/resources.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import type { TestHost } from '../../support/hosts.ts';
import { createKeySecret, createMachineHost, waitForCondition } from '../../support/machine-host-env.ts';
import { startControlPlaneEnv, type ControlPlaneEnv } from '../../support/control-plane-env.ts';
import { startHosts, type TestHosts } from '../../support/hosts.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.ts';
import type { SshPool } from '../../../src/host/index.ts';
import { waitFor } from '../../support/wait.ts';

/** A MachineHost labelled for the ControlPlanes of these tests to select. */
export async function createControlPlaneHost(client: KubeClient, namespace: string, name: string, host: TestHost): Promise<void> {
  await createMachineHost(client, namespace, name, host);
  await client.patch(
    resourcePath(machineHostResource, namespace, name),
    { metadata: { labels: { role: 'control-plane' } } },
    'application/merge-patch+json',
  );
}

/** Runs a command on a test host and returns stdout; a non-zero exit fails the test with stderr. */
export async function sh(host: TestHost, command: string): Promise<string> {
  const r = await host.run(command);
  if (r.exitCode !== 0) throw new Error(`"${command}" on ${host.name} exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Waits until `trigger` has caused SSH work and that work has stopped for a second: one reconcile done. */
export async function settle(pool: SshPool, trigger: () => Promise<void>): Promise<void> {
  const before = pool.counters.total().roundTrips;
  await trigger();
  await waitFor('a reconcile to reach the hosts', () => pool.counters.total().roundTrips > before, 60_000, 50);
  let last = -1;
  await waitFor(
    'the reconcile to finish',
    () => {
      const now = pool.counters.total().roundTrips;
      const quiet = now === last;
      last = now;
      return quiet;
    },
    60_000,
    1_500,
  );
}

export interface ControlPlaneWorld {
  namespace: string;
  test: TestHosts;
  env: ControlPlaneEnv;
  stop(): Promise<void>;
}

/** A namespace, `count` test hosts as Ready MachineHosts `cp-1`… labelled for control planes, and the controllers. */
export async function readyControlPlaneHosts(prefix: string, count: number): Promise<ControlPlaneWorld> {
  const kc = testKubeConfig();
  const namespace = await createNamespace(kc, `cp-${prefix}`);
  const [test, env] = await Promise.all([startHosts(count, { prefix }), startControlPlaneEnv(kc, namespace)]);
  await createKeySecret(env.client, namespace, 'ssh-key', test.keyPair.privateKey);
  await Promise.all(test.hosts.map((h, i) => createControlPlaneHost(env.client, namespace, `cp-${i + 1}`, h)));
  await Promise.all(test.hosts.map((_, i) => waitForCondition(env.client, namespace, `cp-${i + 1}`, 'Ready', 'True')));
  return {
    namespace,
    test,
    env,
    stop: async () => {
      await env.stop();
      await test.stop();
      await deleteNamespace(kc, namespace);
    },
  };
}

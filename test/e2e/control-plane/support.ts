// Helpers shared by the ControlPlane tests on real hosts.
import type { KubeClient } from '../../../src/runtime/kube-client.ts';
import { machineHostResource } from '../../../src/controllers/resources.ts';
import { resourcePath } from '../../../src/runtime/resources.ts';
import type { TestHost } from '../../support/hosts.ts';
import { createMachineHost } from '../../support/machine-host-env.ts';
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

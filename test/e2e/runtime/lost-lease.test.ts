// An operator that loses its lease stops changing hosts within the renew deadline. Its reconcile
// keeps writing to a real host until the API server is cut off; losing the lease aborts the
// reconcile's signal, and the SSH session bound to it starts no further command, although the
// shutdown grace would let the reconcile run on for a minute. The API server is cut off two ways:
// refusing connections, and going silent (a network that drops packets), where each renewal waits
// for its timeout and must still not carry the lease past the deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../../src/api/index.ts';
import { machineHostResource } from '../../../src/controllers/resources.ts';
import { SshPool, WorkAbortedError } from '../../../src/host/index.ts';
import { KubeClient } from '../../../src/runtime/kube-client.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { leaseResource, resourcePath } from '../../../src/runtime/resources.ts';
import { startHosts, loginOf, type TestHosts } from '../../support/hosts.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.ts';
import { kubeconfigThroughPort } from '../../support/management-cluster.ts';
import { loadKubeConfig } from '../../support/manifests.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { waitFor } from '../../support/wait.ts';

const RENEW_DEADLINE_MS = 2_000;
// Long enough that a renewal started late in the deadline, and left to hang, would visibly overrun it.
const RETRY_PERIOD_MS = 1_000;
/** How long after the lease goes a host change still counts as the command that was already running. */
const IN_FLIGHT_MS = 1_000;
/** Timers and the last renewal's own round trip. */
const SLACK_MS = 400;

const kc = testKubeConfig();
const client = new KubeClient(kc);
let dir: string;
let namespace: string;
let test: TestHosts;
const pool = new SshPool();
const operators: Operator[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-lease-'));
  namespace = await createNamespace(kc, 'lease');
  test = await startHosts(1, { prefix: 'lease' });
});

afterAll(async () => {
  for (const operator of operators) await operator.stop();
  pool.dispose();
  await test?.stop();
  if (namespace) await deleteNamespace(kc, namespace);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the reconcile saw: when its signal aborted and when it ended. */
interface Seen {
  abortedAt?: number;
  endedAt?: number;
  error?: unknown;
}

interface Operator {
  proxy: TcpProxy;
  seen: Seen;
  stop(): Promise<void>;
}

/**
 * An operator leading through its own proxy, whose one controller writes a timestamp to the test
 * host's `stepsFile` every 100 ms for as long as it is allowed to, when the MachineHost `name` appears.
 */
async function startOperator(name: string, stepsFile: string): Promise<Operator> {
  const proxy = await TcpProxy.start(Number(new URL(kc.getCurrentCluster()!.server).port));
  const viaProxy = loadKubeConfig(kubeconfigThroughPort(inject('kubeconfig'), proxy.port, join(dir, name)));
  const log = createLogger('test');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  const manager = new Manager({
    kubeConfig: viaProxy,
    log,
    identity: name,
    namespace,
    metrics: new Metrics(false),
    leaderElection: { namespace, name, leaseDurationMs: 3_000, renewDeadlineMs: RENEW_DEADLINE_MS, retryPeriodMs: RETRY_PERIOD_MS },
    shutdownGraceMs: 60_000,
  });
  const seen: Seen = {};
  // Set at cleanup only, so that a reconcile that ignores its signal (the bug this test is for) ends too.
  let cleaningUp = false;
  const login = loginOf(test.hosts[0]!);
  manager.addController({
    name: 'stepper',
    primary: manager.informer(machineHostResource),
    reconcile: async (key, { signal }) => {
      if (key !== `${namespace}/${name}`) return;
      signal.addEventListener('abort', () => (seen.abortedAt = Date.now()), { once: true });
      try {
        // Ten minutes of host changes if nothing stopped it.
        for (let i = 0; i < 6_000 && !cleaningUp; i++) {
          await pool.withHost(login, (s) => s.check(`date +%s%3N >> ${stepsFile}`), { signal });
          await sleep(100);
        }
      } catch (error) {
        seen.error = error;
      } finally {
        seen.endedAt = Date.now();
      }
    },
  });
  void manager.start();
  const operator: Operator = {
    proxy,
    seen,
    async stop() {
      cleaningUp = true;
      proxy.resume();
      await manager.shutdown();
      await proxy.close();
    },
  };
  operators.push(operator);
  return operator;
}

async function steps(file: string): Promise<number[]> {
  return (await test.hosts[0]!.run(`cat ${file} 2>/dev/null`)).stdout.split('\n').filter(Boolean).map(Number);
}

/** When the lease was last renewed, as the API server has it (read directly, not through the proxy). */
async function lastRenewal(name: string): Promise<number> {
  const lease = await client.get<{ spec: { renewTime: string } }>(resourcePath(leaseResource, namespace, name));
  return Date.parse(lease.spec.renewTime);
}

describe.each([
  { how: 'refuses connections', name: 'refused', cut: (proxy: TcpProxy) => proxy.cut() },
  { how: 'stops answering', name: 'silent', cut: (proxy: TcpProxy) => proxy.stall() },
])('losing the lease when the API server $how', ({ name, cut }) => {
  it('stops the reconcile from changing hosts within the renew deadline', async () => {
    const stepsFile = `/tmp/steps-${name}`;
    const { proxy, seen } = await startOperator(name, stepsFile);
    await client.create(resourcePath(machineHostResource, namespace), {
      apiVersion: API_VERSION,
      kind: 'MachineHost',
      metadata: { name },
      spec: { address: '127.0.0.1', user: 'root', sshKeySecretRef: { name: 'unused', key: 'id' } },
    });
    await waitFor('the reconcile to change the host', async () => (await steps(stepsFile)).length >= 5, 60_000, 100);
    const cutAt = Date.now();
    cut(proxy);
    await waitFor('the lease to be lost', () => seen.abortedAt !== undefined, 30_000, 100);
    const abortedAt = seen.abortedAt!;
    // Either the reconcile ends, or it shows it did not stop by changing the host after the lease went.
    const changedAfter = async () => ((await steps(stepsFile)).at(-1) ?? 0) - abortedAt > IN_FLIGHT_MS;
    await waitFor('the reconcile to end or change the host again', async () => seen.endedAt !== undefined || (await changedAfter()), 30_000, 100);
    const written = await steps(stepsFile);
    const last = written.at(-1)!;
    const renewedAt = await lastRenewal(name);
    console.log(
      `${name}: lease lost ${abortedAt - renewedAt} ms after its last renewal and ${abortedAt - cutAt} ms after the cut ` +
        `(renew deadline ${RENEW_DEADLINE_MS} ms); last host change ${last - abortedAt} ms after the loss; ` +
        `reconcile ended ${(seen.endedAt ?? NaN) - abortedAt} ms after it; ${written.length} host changes in all`,
    );
    expect(renewedAt, 'the last renewal was before the cut').toBeLessThanOrEqual(cutAt);
    expect(abortedAt - renewedAt, 'the lease was held past the renew deadline').toBeLessThanOrEqual(RENEW_DEADLINE_MS + SLACK_MS);
    // At most the one command already running when the lease went may finish after it.
    expect(last - abortedAt, 'the host was changed after the lease was lost').toBeLessThan(IN_FLIGHT_MS);
    expect(seen.endedAt, 'the reconcile did not end after the lease was lost').toBeDefined();
    expect(seen.endedAt! - abortedAt).toBeLessThan(IN_FLIGHT_MS);
    expect(seen.error).toBeInstanceOf(WorkAbortedError);
  });
});

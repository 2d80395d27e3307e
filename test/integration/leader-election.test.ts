// Two operator processes with leader election: one works, the other takes over when it dies.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/processes.ts';
import { KubeClient } from '../../src/runtime/kube-client.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';
import { OperatorProcess } from '../support/operator-process.ts';
import { hosts } from '../support/runtime-harness.ts';
import { waitFor } from '../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
const processes: OperatorProcess[] = [];
const leaseDurationMs = 4000;
const retryPeriodMs = 500;

async function operator(): Promise<{ proc: OperatorProcess; port: number }> {
  const port = await freePort();
  const proc = new OperatorProcess(
    inject('kubeconfig'),
    [
      '--leader-elect',
      `--namespace=${namespace}`,
      `--leader-election-namespace=${namespace}`,
      `--probe-port=${port}`,
      '--probe-host=127.0.0.1',
      `--lease-duration=${leaseDurationMs}ms`,
      '--renew-deadline=3s',
      `--retry-period=${retryPeriodMs}ms`,
    ],
    { KUBESMITH_LOG_LEVEL: 'debug' },
  );
  processes.push(proc);
  return { proc, port };
}

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

beforeAll(async () => {
  namespace = await createNamespace(kc, 'leader');
});
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL');
  await deleteNamespace(kc, namespace);
});

describe('leader election', () => {
  it('lets only the leader reconcile, hands over after SIGKILL, and releases on SIGTERM', async () => {
    const api = hosts(kc, namespace);
    const a = await operator();
    await waitFor('A to lead', () => a.proc.logged('became leader'), 30_000);
    const b = await operator();
    await waitFor('B ready (caches synced)', async () => (await get(b.port, '/readyz')).status === 200, 30_000);

    await api.create('first');
    await waitFor('A to reconcile first', () => a.proc.reconciled('first'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.proc.reconciled('first')).toBe(false);
    expect(b.proc.logged('became leader')).toBeUndefined();
    expect((await get(a.port, '/metrics')).text).toMatch(/controller_runtime_reconcile_total\{controller="machinehost",result="(success|requeue_after)"\} [1-9]/);
    expect((await get(a.port, '/metrics')).text).toContain('leader_election_master_status{name="kubesmith-leader"} 1');
    expect((await get(b.port, '/metrics')).text).toContain('leader_election_master_status{name="kubesmith-leader"} 0');

    const killedAt = Date.now();
    a.proc.child.kill('SIGKILL');
    await waitFor('B to lead', () => b.proc.logged('became leader'), 30_000);
    const takeoverMs = Date.now() - killedAt;
    console.log(`takeover after SIGKILL of the leader: ${takeoverMs} ms (lease ${leaseDurationMs} ms)`);
    // B sees the lease expire at most one lease duration after A's last renewal, and notices within a retry period.
    expect(takeoverMs).toBeLessThan(leaseDurationMs + 2 * retryPeriodMs + 500);

    await api.create('second');
    await waitFor('B to reconcile second', () => b.proc.reconciled('second'));
    expect(a.proc.reconciled('second')).toBe(false);

    b.proc.child.kill('SIGTERM');
    expect(await b.proc.exited).toBe(0);
    const lease = await new KubeClient(kc).get<{ spec: { holderIdentity?: string } }>(
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/kubesmith-leader`,
    );
    expect(lease.spec.holderIdentity ?? '').toBe('');
  });
});

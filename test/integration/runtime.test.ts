// The controller runtime against the real API server: what triggers a reconcile, how updates
// coalesce, how failures back off, and how status, spec and finalizers interact.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineHostResource } from '../../src/controllers/resources.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../src/runtime/finalizers.ts';
import { isNotFound } from '../../src/runtime/kube-client.ts';
import { eventResource, resourcePath, secretResource, splitKey } from '../../src/runtime/resources.ts';
import { hostsUsingSecret } from '../../src/controllers/watches.ts';
import type { MachineHost } from '../../src/api/index.ts';
import { Informer } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { applyStatus } from '../../src/runtime/status.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';
import { hosts, startHarness, type Harness } from '../support/runtime-harness.ts';
import { waitFor } from '../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
let api: ReturnType<typeof hosts>;
const harnesses: Harness[] = [];

beforeAll(async () => {
  namespace = await createNamespace(kc, 'runtime');
  api = hosts(kc, namespace);
});
afterAll(async () => {
  for (const h of harnesses) await h.stop();
  await deleteNamespace(kc, namespace);
});

async function harness(...args: Parameters<typeof startHarness> extends [unknown, unknown, ...infer R] ? R : never) {
  const h = await startHarness(kc, namespace, ...args);
  harnesses.push(h);
  return h;
}

describe('controller runtime', () => {
  it('reconciles on create, update and delete', async () => {
    const seen: { name: string; generation?: number; exists: boolean }[] = [];
    await harness((informer) => async (key) => {
      const o = informer.get(key);
      if (splitKey(key).name.startsWith('crud-')) seen.push({ name: splitKey(key).name, generation: o?.metadata?.generation, exists: !!o });
    });
    await api.create('crud-1');
    await waitFor('a reconcile after create', () => seen.some((s) => s.exists && s.generation === 1));
    await api.setAddress('crud-1', '127.0.0.2');
    await waitFor('a reconcile after update', () => seen.some((s) => s.generation === 2));
    await api.delete('crud-1');
    await waitFor('a reconcile after delete', () => seen.some((s) => !s.exists));
  });

  it('coalesces 100 rapid updates into far fewer reconciles, never two at once for one key', async () => {
    const active = new Map<string, number>();
    let maxActive = 0;
    let reconciles = 0;
    let lastGeneration = 0;
    await harness(
      (informer) => async (key) => {
        if (!key.endsWith('/burst')) return;
        const n = (active.get(key) ?? 0) + 1;
        active.set(key, n);
        maxActive = Math.max(maxActive, n);
        reconciles++;
        lastGeneration = informer.get(key)?.metadata?.generation ?? 0;
        await sleep(50);
        active.set(key, n - 1);
      },
      { concurrency: 4 },
    );
    await api.create('burst');
    for (let i = 0; i < 100; i++) await api.setAddress('burst', `127.0.0.${(i % 250) + 1}`);
    const final = (await api.get('burst')).metadata?.generation;
    await waitFor('a reconcile of the last generation', () => lastGeneration === final);
    expect(maxActive).toBe(1);
    expect(reconciles).toBeLessThan(40);
    console.log(`100 updates -> ${reconciles} reconciles`);
  });

  it('retries a failing reconcile with growing delays and succeeds once the cause is fixed', async () => {
    const attempts: number[] = [];
    let broken = true;
    let succeeded = false;
    await harness(
      () => async (key) => {
        if (!key.endsWith('/flaky')) return;
        attempts.push(performance.now());
        if (broken && attempts.length >= 6) broken = false;
        if (broken) throw new Error('the cause is not fixed yet');
        succeeded = true;
      },
      { rateLimit: { baseMs: 20, capMs: 10_000 } },
    );
    await api.create('flaky');
    await waitFor('success after the fix', () => succeeded);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps).toHaveLength(5);
    // 20, 40, 80, 160, 320 ms: each wait at least the nominal delay and longer than the one before.
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 2));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
  });

  it('never overwrites a spec change made while a reconcile writes status', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readAddress = '';
    let entered = false;
    const h = await harness((informer, manager) => async (key) => {
      if (!key.endsWith('/race')) return;
      const object = informer.get(key) as { spec: { address: string } } & Parameters<typeof applyStatus>[2];
      if (object.metadata?.generation !== 1) return;
      readAddress = object.spec.address;
      entered = true;
      await gate;
      await applyStatus(
        manager.client,
        machineHostResource,
        object,
        {
          observedGeneration: 1,
          conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Testing', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }],
        },
        'kubesmith-test',
      );
    });
    expect(h).toBeTruthy();
    await api.create('race', '127.0.0.1');
    await waitFor('the reconcile to hold the old object', () => entered);
    await api.setAddress('race', '127.0.0.99');
    release();
    const after = await waitFor('status written', async () => {
      const o = await api.get('race');
      return o.status ? o : undefined;
    });
    expect(readAddress).toBe('127.0.0.1');
    expect(after.spec.address).toBe('127.0.0.99');
    expect(after.status).toMatchObject({ observedGeneration: 1, conditions: [{ type: 'Ready', reason: 'Testing' }] });
  });

  it('removes its finalizer on delete, and the object disappears', async () => {
    const finalizer = 'kubesmith.io/test';
    await harness((informer, manager) => async (key) => {
      if (!key.endsWith('/final')) return;
      const object = informer.get(key);
      if (!object) return;
      if (object.metadata?.deletionTimestamp) await removeFinalizer(manager.client, machineHostResource, object, finalizer);
      else await addFinalizer(manager.client, machineHostResource, object, finalizer);
    });
    await api.create('final');
    await waitFor('the finalizer', async () => hasFinalizer(await api.get('final'), finalizer));
    await api.delete('final');
    await waitFor('the object to be gone', async () => {
      try {
        await api.get('final');
        return false;
      } catch (error) {
        return isNotFound(error);
      }
    });
  });

  it('keeps a finalizer added by someone else while adding its own', async () => {
    await api.create('shared-fin');
    const { client } = api;
    const stale = await api.get('shared-fin');
    await client.patch(
      `/apis/kubesmith.io/v1alpha1/namespaces/${namespace}/machinehosts/shared-fin`,
      { metadata: { finalizers: ['example.com/other'] } },
      'application/merge-patch+json',
    );
    // Adding from a stale read must fail rather than drop the other finalizer.
    await expect(addFinalizer(client, machineHostResource, stale, 'kubesmith.io/test')).rejects.toThrow();
    const fresh = await api.get('shared-fin');
    const added = await addFinalizer(client, machineHostResource, fresh, 'kubesmith.io/test');
    expect(added.metadata?.finalizers).toEqual(['example.com/other', 'kubesmith.io/test']);
    const removed = await removeFinalizer(client, machineHostResource, added, 'kubesmith.io/test');
    expect(removed.metadata?.finalizers).toEqual(['example.com/other']);
    await client.patch(
      `/apis/kubesmith.io/v1alpha1/namespaces/${namespace}/machinehosts/shared-fin`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
  });

  it('finishes a reconcile in flight on shutdown before stopping', async () => {
    let finished = false;
    let started = false;
    const h = await startHarness(kc, namespace, () => async (key) => {
      if (!key.endsWith('/slow')) return;
      started = true;
      await sleep(400);
      finished = true;
    });
    await api.create('slow');
    await waitFor('the slow reconcile to start', () => started);
    await h.stop();
    expect(finished).toBe(true);
  });

  it('re-enqueues the MachineHosts that use a Secret when the Secret changes', async () => {
    const reconciled: string[] = [];
    await harness(
      () => async (key) => {
        if (key.includes('/keyed-')) reconciled.push(splitKey(key).name);
      },
      {
        watches: (manager, informer) => [
          { informer: manager.informer(secretResource), map: hostsUsingSecret(informer as unknown as Informer<MachineHost>) },
        ],
      },
    );
    await api.client.create(`/apis/kubesmith.io/v1alpha1/namespaces/${namespace}/machinehosts`, {
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'MachineHost',
      metadata: { name: 'keyed-1' },
      spec: { address: '127.0.0.1', user: 'root', sshKeySecretRef: { name: 'later-key', key: 'id' } },
    });
    await api.create('keyed-2');
    await waitFor('both hosts reconciled once', () => reconciled.includes('keyed-1') && reconciled.includes('keyed-2'));
    reconciled.length = 0;
    await api.client.create(resourcePath(secretResource, namespace), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'later-key' },
      stringData: { id: 'not a real key' },
    });
    await waitFor('the host using the Secret reconciled again', () => reconciled.includes('keyed-1'));
    await new Promise((r) => setTimeout(r, 300));
    expect(reconciled).not.toContain('keyed-2');
  });

  it('records Events and folds repeats into a series', async () => {
    const h = await harness(() => async () => {});
    const object = await api.create('evented');
    const recorder = h.manager.events('test');
    for (let i = 0; i < 3; i++) await recorder.record(object, machineHostResource, 'Warning', 'Unreachable', 'Connect', 'no route to host');
    await recorder.record(object, machineHostResource, 'Normal', 'Connected', 'Connect', 'connected');
    const { items } = await api.client.list<{
      reason: string;
      regarding: { name: string; uid: string };
      series?: { count: number };
      reportingController: string;
    }>(resourcePath(eventResource, namespace));
    const mine = items.filter((e) => e.regarding.name === 'evented');
    expect(mine.map((e) => [e.reason, e.series?.count ?? 1]).sort()).toEqual([
      ['Connected', 1],
      ['Unreachable', 3],
    ]);
    expect(mine.every((e) => e.regarding.uid === object.metadata?.uid && e.reportingController === 'kubesmith.io/test')).toBe(true);
  });

  it('re-delivers every cached object at each resync, without a change on the server', async () => {
    await api.create('resync-a');
    await api.create('resync-b');
    const informer = new Informer(api.client, machineHostResource, createLogger('test'), { namespace, resyncMs: 300 });
    const resynced = new Map<string, number>();
    informer.on((event, object) => {
      if (event === 'resync') resynced.set(object.metadata!.name!, (resynced.get(object.metadata!.name!) ?? 0) + 1);
    });
    informer.start();
    try {
      await informer.hasSynced();
      await waitFor('two resyncs of both objects', () => (resynced.get('resync-a') ?? 0) >= 2 && (resynced.get('resync-b') ?? 0) >= 2);
      expect(informer.stats.lists).toBe(1);
    } finally {
      informer.stop();
    }
  });
});

// What an informer asks the API server for and what it keeps: a label selector on the list and the
// watch; objects without their managedFields; one cache per resource in a manager.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Informer } from '../../../src/runtime/informer.ts';
import type { KubeClient, RequestArgs, WatchEvent } from '../../../src/runtime/kube-client.ts';
import { createLogger } from '../../../src/runtime/logger.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { Metrics } from '../../../src/runtime/metrics.ts';
import { secretResource } from '../../../src/runtime/resources.ts';
import { waitFor } from '../../support/wait.ts';

const log = createLogger('test');
log.level = 'silent';

function secret(name: string, resourceVersion: string): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'ns', resourceVersion, managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:data': {} } }] },
  };
}

/** A KubeClient that lists `items`, then hands the watch's event callback to the test. */
function fakeClient(items: KubernetesObject[]) {
  const calls: { list: RequestArgs['query'][]; watch: RequestArgs['query'][] } = { list: [], watch: [] };
  let emit: ((event: WatchEvent) => void) | undefined;
  const client = {
    async list(_path: string, query: RequestArgs['query']) {
      calls.list.push(query);
      return { items: structuredClone(items), resourceVersion: '10' };
    },
    watch(_path: string, query: RequestArgs['query'], onEvent: (e: WatchEvent) => void, signal: AbortSignal) {
      calls.watch.push(query);
      emit = onEvent;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
  };
  return { client: client as unknown as KubeClient, calls, emit: (e: WatchEvent) => emit!(e) };
}

describe('Informer', () => {
  it('lists and watches with its label selector, and caches objects without managedFields', async () => {
    const fake = fakeClient([secret('a', '5')]);
    const informer = new Informer(fake.client, secretResource, log, { labelSelector: 'kubesmith.io/ssh-key', resyncMs: 0 });
    informer.start();
    await informer.hasSynced();
    await waitFor('the watch', () => fake.calls.watch.length > 0);
    expect(fake.calls.list[0]).toMatchObject({ labelSelector: 'kubesmith.io/ssh-key' });
    expect(fake.calls.watch[0]).toMatchObject({ labelSelector: 'kubesmith.io/ssh-key', resourceVersion: '10' });
    expect(informer.get('ns/a')?.metadata?.managedFields).toBeUndefined();
    fake.emit({ type: 'ADDED', object: secret('b', '11') });
    expect(informer.get('ns/b')).toBeDefined();
    expect(informer.get('ns/b')?.metadata?.managedFields).toBeUndefined();
    informer.stop();
  });

  it('asks for everything without a selector', async () => {
    const fake = fakeClient([]);
    const informer = new Informer(fake.client, secretResource, log, { resyncMs: 0 });
    informer.start();
    await informer.hasSynced();
    expect(fake.calls.list[0]?.labelSelector).toBeUndefined();
    expect(() => informer.narrow('x')).toThrow('has started');
    informer.stop();
  });
});

describe('Manager.informer', () => {
  const manager = () =>
    new Manager({
      kubeConfig: { getCurrentCluster: () => ({ server: 'https://127.0.0.1:1' }), applyToHTTPSOptions: async () => {} },
      log,
      identity: 'test',
      metrics: new Metrics(false),
    });

  it('keeps one cache per resource, limited for every reader once any asks for a selector before start', () => {
    const m = manager();
    const all = m.informer(secretResource);
    expect(all.labelSelector).toBeUndefined();
    const keys = m.informer(secretResource, { labelSelector: 'kubesmith.io/ssh-key' });
    expect(keys).toBe(all);
    expect(all.labelSelector).toBe('kubesmith.io/ssh-key');
    expect(m.informer(secretResource)).toBe(keys);
    expect(() => m.informer(secretResource, { labelSelector: 'other' })).toThrow('limited to kubesmith.io/ssh-key already');
  });
});

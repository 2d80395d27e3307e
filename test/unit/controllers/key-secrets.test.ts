// The key Secrets a MachineHost names: from the cache, else read directly and labelled so the cache
// holds them from then on; the add our own label write causes does not reconcile the hosts again.
import { describe, expect, it, vi } from 'vitest';
import type { MachineHost } from '../../../src/api/index.ts';
import { KeySecrets, SSH_KEY_LABEL, type Secret } from '../../../src/controllers/key-secrets.ts';
import type { Informer, InformerHandler } from '../../../src/runtime/informer.ts';
import { KubeApiError, type KubeClient } from '../../../src/runtime/kube-client.ts';
import { createLogger } from '../../../src/runtime/logger.ts';

const log = createLogger('test');
log.level = 'silent';

const host = (key: string, bastionKey?: string) =>
  ({
    metadata: { name: 'h', namespace: 'ns' },
    spec: {
      address: '192.0.2.1',
      sshKeySecretRef: { name: key, key: 'k' },
      ...(bastionKey ? { bastion: { address: '192.0.2.2', user: 'u', sshKeySecretRef: { name: bastionKey, key: 'k' } } } : {}),
    },
  }) as unknown as MachineHost;

const secret = (name: string, resourceVersion: string, labels?: Record<string, string>): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ns', resourceVersion, ...(labels ? { labels } : {}) },
  data: { k: 'a2V5' },
});

function world(stored: Record<string, Secret>, cached: Record<string, Secret> = {}) {
  const handlers: InformerHandler<Secret>[] = [];
  const informer = {
    get: (key: string) => cached[key],
    on: (h: InformerHandler<Secret>) => handlers.push(h),
    hasSynced: async () => {},
  } as unknown as Informer<Secret>;
  let release: (() => void) | undefined;
  const client = {
    get: vi.fn(async (path: string) => {
      const name = path.split('/').pop()!;
      if (!stored[name]) throw new KubeApiError(404, 'NotFound', `secrets "${name}" not found`);
      return structuredClone(stored[name]);
    }),
    patch: vi.fn(async (path: string, body: { metadata: { labels: Record<string, string> } }) => {
      if (release) await new Promise<void>((r) => (release = r));
      const name = path.split('/').pop()!;
      const s = stored[name]!;
      stored[name] = { ...s, metadata: { ...s.metadata, labels: { ...s.metadata?.labels, ...body.metadata.labels }, resourceVersion: String(Number(s.metadata!.resourceVersion) + 1) } };
      return structuredClone(stored[name]);
    }),
  };
  const keys = new KeySecrets(client as unknown as KubeClient, informer, 'kubesmith-machinehost');
  const seen: string[] = [];
  keys.source().on((event, object) => seen.push(`${event} ${object.metadata?.name}@${object.metadata?.resourceVersion}`));
  const emit = (event: 'add' | 'update' | 'delete', object: Secret) => handlers.forEach((h) => h(event, object));
  return { keys, client, stored, seen, emit, holdPatches: () => (release = () => {}), releasePatch: () => release?.() };
}

describe('KeySecrets', () => {
  it('reads a cached key Secret from the cache alone', async () => {
    const w = world({}, { 'ns/key': secret('key', '3', { [SSH_KEY_LABEL]: 'true' }) });
    const reader = await w.keys.forHost(host('key'), log);
    expect(reader.get('ns/key')?.metadata?.resourceVersion).toBe('3');
    expect(w.client.get).not.toHaveBeenCalled();
    expect(w.client.patch).not.toHaveBeenCalled();
  });

  it('reads an uncached one with a GET and labels it, without reconciling its hosts again for that label', async () => {
    const w = world({ key: secret('key', '7'), jump: secret('jump', '9') });
    const reader = await w.keys.forHost(host('key', 'jump'), log);
    expect(reader.get('ns/key')?.metadata?.labels?.[SSH_KEY_LABEL]).toBe('true');
    expect(reader.get('ns/jump')?.metadata?.labels?.[SSH_KEY_LABEL]).toBe('true');
    expect(w.client.patch).toHaveBeenCalledWith(
      '/api/v1/namespaces/ns/secrets/key',
      { metadata: { labels: { [SSH_KEY_LABEL]: 'true' } } },
      'application/merge-patch+json',
      { fieldManager: 'kubesmith-machinehost' },
    );
    // The watch now reports the labelled Secrets: that add is ours; what follows is not.
    w.emit('add', w.stored.key!);
    w.emit('add', w.stored.jump!);
    expect(w.seen).toEqual([]);
    w.emit('update', { ...w.stored.key!, metadata: { ...w.stored.key!.metadata, resourceVersion: '20' } });
    expect(w.seen).toEqual(['update key@20']);
  });

  it('leaves out a Secret that does not exist, so that reading the key says so', async () => {
    const w = world({});
    const reader = await w.keys.forHost(host('absent'), log);
    expect(reader.get('ns/absent')).toBeUndefined();
    expect(w.client.patch).not.toHaveBeenCalled();
  });

  it('passes on a labelled Secret someone else creates', async () => {
    const w = world({});
    w.emit('add', secret('new', '4', { [SSH_KEY_LABEL]: '' }));
    expect(w.seen).toEqual(['add new@4']);
  });

  it('counts an add the watch reports before the PATCH answers as ours', async () => {
    const w = world({ key: secret('key', '7') });
    w.holdPatches();
    const reading = w.keys.forHost(host('key'), log);
    await vi.waitFor(() => expect(w.client.patch).toHaveBeenCalled());
    w.emit('add', { ...secret('key', '8', { [SSH_KEY_LABEL]: 'true' }) });
    w.releasePatch();
    await reading;
    expect(w.seen).toEqual([]);
    w.emit('update', secret('key', '9', { [SSH_KEY_LABEL]: 'true' }));
    expect(w.seen).toEqual(['update key@9']);
  });

  it('still uses a Secret it may not label', async () => {
    const w = world({ key: secret('key', '7') });
    w.client.patch.mockRejectedValueOnce(new KubeApiError(403, 'Forbidden', 'cannot patch secrets'));
    const reader = await w.keys.forHost(host('key'), log);
    expect(reader.get('ns/key')?.metadata?.resourceVersion).toBe('7');
    w.emit('add', secret('key', '8', { [SSH_KEY_LABEL]: 'true' }));
    expect(w.seen).toEqual(['add key@8']);
  });
});

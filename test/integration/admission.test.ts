// Every bad object is rejected by the real API server with a message naming the field, and
// everything the samples show is accepted with defaults filled in.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/index.ts';
import { createNamespace, deleteNamespace, rejection, testKubeConfig } from '../support/kube.ts';
import { apply, readManifests, repoRoot } from '../support/manifests.ts';

const kc = testKubeConfig();
let namespace: string;
let counter = 0;

beforeAll(async () => {
  namespace = await createNamespace(kc, 'admission');
});
afterAll(async () => {
  await deleteNamespace(kc, namespace);
});

type Obj = KubernetesObject & { spec: Record<string, unknown> };

function object(kind: string, spec: Record<string, unknown>): Obj {
  return { apiVersion: API_VERSION, kind, metadata: { name: `${kind.toLowerCase()}-${++counter}`, namespace }, spec };
}

const host = (spec: Record<string, unknown> = {}) =>
  object('MachineHost', { address: '192.0.2.10', user: 'root', sshKeySecretRef: { name: 'ssh', key: 'id' }, ...spec });
const controlPlane = (spec: Record<string, unknown> = {}) =>
  object('ControlPlane', { version: 'v1.36.3', hostSelector: { matchLabels: { role: 'cp' } }, ...spec });
const workerPool = (spec: Record<string, unknown> = {}) =>
  object('WorkerPool', { controlPlaneRef: { name: 'c' }, hostSelector: {}, ...spec });
const networkAddon = (spec: Record<string, unknown> = {}) =>
  object('NetworkAddon', { controlPlaneRef: { name: 'c' }, provider: 'bridge', ...spec });

function without(o: Obj, field: string): Obj {
  const spec = { ...o.spec };
  delete spec[field];
  return { ...o, spec };
}

describe('admission of bad input', () => {
  it.each([
    ['MachineHost without address', () => without(host(), 'address'), 'spec.address: Required value'],
    ['MachineHost port 0', () => host({ port: 0 }), 'spec.port: Invalid value: 0'],
    ['MachineHost port 70000', () => host({ port: 70000 }), 'spec.port: Invalid value: 70000'],
    [
      'sshKeySecretRef without key',
      () => host({ sshKeySecretRef: { name: 'ssh' } }),
      'spec.sshKeySecretRef.key: Required value',
    ],
    [
      'bastion with an address but no user',
      () => host({ bastion: { address: '192.0.2.1' } }),
      'spec.bastion.user: Required value',
    ],
    ['a malformed host key', () => host({ hostKey: 'not a key' }), 'spec.hostKey'],
    ['an internalIP that is not an IP', () => host({ internalIP: '10.0.0.300' }), 'must be an IPv4 or IPv6 address'],
    ['control-plane replicas 2', () => controlPlane({ replicas: 2 }), 'spec.replicas: Invalid value'],
    [
      'podCIDR 10.244.0.0/33',
      () => controlPlane({ clusterNetwork: { podCIDR: '10.244.0.0/33' } }),
      'spec.clusterNetwork.podCIDR: Invalid value: "10.244.0.0/33": must be a CIDR such as 10.244.0.0/16',
    ],
    [
      'podCIDR with host bits set',
      () => controlPlane({ clusterNetwork: { podCIDR: '10.244.1.0/16' } }),
      'spec.clusterNetwork.podCIDR: Invalid value: "10.244.1.0/16": must not have host bits set',
    ],
    [
      'podCIDR overlapping serviceCIDR',
      () => controlPlane({ clusterNetwork: { podCIDR: '10.96.0.0/16', serviceCIDR: '10.96.0.0/12' } }),
      'spec.clusterNetwork.podCIDR: Invalid value: podCIDR and serviceCIDR must not overlap',
    ],
    ['version latest', () => controlPlane({ version: 'latest' }), 'spec.version: Invalid value: "latest"'],
    [
      'an unknown NetworkAddon provider',
      () => networkAddon({ provider: 'calico' }),
      'spec.provider: Unsupported value: "calico": supported values: "bridge", "flannel"',
    ],
    [
      'flannel options on the bridge provider',
      () => networkAddon({ flannel: { backend: 'vxlan' } }),
      'flannel options need provider: flannel',
    ],
    ['a WorkerPool without controlPlaneRef', () => without(workerPool(), 'controlPlaneRef'), 'spec.controlPlaneRef: Required value'],
  ])('rejects %s', async (_name, build, expected) => {
    const message = await rejection(kc, build());
    expect(message).toContain(expected);
  });

  it('reports every error of one object together', async () => {
    const message = await rejection(kc, host({ port: 0, sshKeySecretRef: { name: 'ssh' } }));
    expect(message).toContain('spec.port');
    expect(message).toContain('spec.sshKeySecretRef.key');
  });

  it('refuses to change the cluster network of an existing ControlPlane', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const created = await client.create(controlPlane());
    const changed = { ...created, spec: { ...(created as Obj).spec, clusterNetwork: { podCIDR: '10.200.0.0/16' } } };
    await expect(client.replace(changed)).rejects.toThrow(/clusterNetwork cannot change once the cluster exists/);
  });

  it('refuses to switch the provider or the flannel backend of a NetworkAddon, saying how to', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const bridge = (await client.create(networkAddon())) as Obj;
    await expect(client.replace({ ...bridge, spec: { ...bridge.spec, provider: 'flannel' } })).rejects.toThrow(
      /provider cannot change on a running cluster: delete this NetworkAddon .* then create one with the new provider/,
    );
    const flannel = (await client.create(networkAddon({ provider: 'flannel' }))) as Obj;
    expect(flannel.spec.flannel).toBeUndefined();
    await expect(client.replace({ ...flannel, spec: { ...flannel.spec, flannel: { backend: 'host-gw' } } })).rejects.toThrow(
      /flannel.backend cannot change on a running cluster/,
    );
    // Spelling out the default is no change.
    const same = (await client.replace({ ...flannel, spec: { ...flannel.spec, flannel: { backend: 'vxlan' } } })) as Obj;
    expect(same.spec.flannel).toEqual({ backend: 'vxlan' });
  });
});

describe('version changes', () => {
  async function changeVersion(from: string, to: string): Promise<Obj> {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const created = (await client.create(controlPlane({ version: from }))) as Obj;
    return (await client.replace({ ...created, spec: { ...created.spec, version: to } })) as Obj;
  }

  it.each([
    ['a patch release up', 'v1.35.2', 'v1.35.3'],
    ['one minor up', 'v1.35.2', 'v1.36.0'],
    ['one minor up to a later patch', 'v1.35.2', 'v1.36.9'],
    ['a patch number with more digits', 'v1.35.9', 'v1.35.10'],
  ])('accepts %s (%s to %s)', async (_name, from, to) => {
    expect((await changeVersion(from, to)).spec.version).toBe(to);
  });

  it.each([
    ['two minors up', 'v1.35.2', 'v1.37.0'],
    ['a patch release down', 'v1.35.2', 'v1.35.1'],
    ['a minor down', 'v1.35.2', 'v1.34.9'],
  ])('refuses %s (%s to %s), saying how far it may go', async (_name, from, to) => {
    const error = await changeVersion(from, to).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiException);
    const body = (error as ApiException<unknown>).body;
    const message = String((typeof body === 'string' ? JSON.parse(body) : body)?.message);
    expect(message).toContain(
      `spec.version: Invalid value: "${to}": may move up by one minor at a time and never down: from ${from} go to v1.36.x at most`,
    );
  });
});

describe('defaults and samples', () => {
  it('fills in defaults at admission', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const cp = (await client.create(controlPlane())) as Obj;
    expect(cp.spec.replicas).toBe(1);
    expect(cp.spec.clusterNetwork).toEqual({ podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12', dnsDomain: 'cluster.local' });
    expect(cp.spec.imageRepository).toBe('registry.k8s.io');
    expect(cp.spec.certificates).toEqual({ validityDays: 365, caValidityDays: 3650, keyAlgorithm: 'RSA2048' });
    const mh = (await client.create(host())) as Obj;
    expect(mh.spec.port).toBe(22);
    expect(mh.spec.paused).toBe(false);
  });

  const samples = readdirSync(join(repoRoot, 'config', 'samples')).filter((f) => f.startsWith('cluster-'));

  it.each(samples)('accepts every object of config/samples/%s', async (file) => {
    const objects = readManifests(join(repoRoot, 'config', 'samples', file));
    const ns = await createNamespace(kc, 'sample');
    try {
      await apply(kc, objects, ns);
      const client = KubernetesObjectApi.makeApiClient(kc);
      for (const o of objects) {
        const stored = await client.read({ apiVersion: o.apiVersion!, kind: o.kind!, metadata: { name: o.metadata!.name!, namespace: ns } });
        expect(stored.metadata?.uid).toBeTruthy();
      }
      expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['MachineHost', 'ControlPlane', 'WorkerPool', 'NetworkAddon', 'Secret']));
    } finally {
      await deleteNamespace(kc, ns);
    }
  });
});

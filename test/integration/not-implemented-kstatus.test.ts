// WorkerPool and NetworkAddon, whose steps are not built yet, against a real API server: a Ready
// roll-up that is Unknown (NotImplemented), Reconciling True and Stalled False, and observedGeneration
// following the spec, so a GitOps tool reading kstatus sees them in progress, never healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Condition } from '../../src/api/index.ts';
import { addNotImplementedController } from '../../src/controllers/not-implemented.ts';
import { networkAddonResource, workerPoolResource } from '../../src/controllers/resources.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { Metrics } from '../../src/runtime/metrics.ts';
import { MERGE_PATCH } from '../../src/runtime/kube-client.ts';
import { resourcePath, type Resource } from '../../src/runtime/resources.ts';
import { createNamespace, deleteNamespace, testKubeConfig } from '../support/kube.ts';
import { waitFor } from '../support/wait.ts';

const kc = testKubeConfig();
let namespace: string;
let manager: Manager;

interface Observed {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

beforeAll(async () => {
  namespace = await createNamespace(kc, 'not-implemented');
  const log = createLogger('test');
  log.level = process.env.KUBESMITH_LOG_LEVEL ?? 'silent';
  manager = new Manager({ kubeConfig: kc, log, identity: 'test', namespace, metrics: new Metrics(false) });
  // As src/controllers/index.ts registers them.
  addNotImplementedController(manager, workerPoolResource, ['HostsClaimed', 'NodesReady', 'Ready']);
  addNotImplementedController(manager, networkAddonResource, ['Installed', 'Ready']);
  await manager.start();
});
afterAll(async () => {
  await manager?.shutdown();
  if (namespace) await deleteNamespace(kc, namespace);
});

const kinds: [string, Resource, Record<string, unknown>, string[]][] = [
  ['WorkerPool', workerPoolResource, { controlPlaneRef: { name: 'c' }, hostSelector: {} }, ['HostsClaimed', 'NodesReady']],
  ['NetworkAddon', networkAddonResource, { controlPlaneRef: { name: 'c' }, provider: 'bridge' }, ['Installed']],
];

/** Waits until the controller has observed the object's current generation. */
function observed(resource: Resource, name: string): Promise<Observed> {
  return waitFor(`${name} observed`, async () => {
    const o = await manager.client.get<Observed>(resourcePath(resource, namespace, name));
    return o.status?.observedGeneration === o.metadata.generation ? o : undefined;
  });
}

describe.each(kinds)('%s, not implemented yet', (kind, resource, spec, steps) => {
  it('reads as in progress under the kstatus rules, and follows the generation', async () => {
    const name = kind.toLowerCase();
    await manager.client.create(resourcePath(resource, namespace), { apiVersion: API_VERSION, kind, metadata: { name }, spec });
    let object = await observed(resource, name);
    const get = (type: string) => object.status?.conditions?.find((c) => c.type === type);
    expect(object.status?.conditions?.map((c) => c.type).sort()).toEqual([...steps, 'Ready', 'Reconciling', 'Stalled'].sort());
    for (const step of steps) expect(get(step)).toMatchObject({ status: 'Unknown', reason: 'NotImplemented' });
    expect(get('Ready')).toMatchObject({ status: 'Unknown', reason: 'NotImplemented' });
    expect(get('Ready')?.message).toContain(`${steps[0]}: kubesmith does not implement the ${steps[0]} step yet`);
    expect(get('Reconciling')).toMatchObject({ status: 'True', reason: 'NotImplemented' });
    expect(get('Stalled')).toMatchObject({ status: 'False', reason: 'NothingNeedsAPerson' });
    for (const c of object.status?.conditions ?? []) expect(c.observedGeneration).toBe(object.metadata.generation);

    await manager.client.patch(resourcePath(resource, namespace, name), { spec: { controlPlaneRef: { name: 'd' } } }, MERGE_PATCH);
    object = await observed(resource, name);
    expect(object.metadata.generation).toBe(2);
    expect(get('Reconciling')).toMatchObject({ status: 'True', observedGeneration: 2 });
  });
});

// What a user runs to install kubesmith and look at its resources works against a real API server.
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, deleteNamespace, kubectl, testKubeConfig } from '../support/kube.ts';
import { repoRoot } from '../support/manifests.ts';

const kc = testKubeConfig();
const installNamespace = 'kubesmith-system';
let createdInstallNamespace = false;

beforeAll(async () => {
  // A server-side dry run of namespaced objects needs their namespace to exist.
  const core = kc.makeApiClient(CoreV1Api);
  const existing = await core.listNamespace({ fieldSelector: `metadata.name=${installNamespace}` });
  if (existing.items.length === 0) {
    await core.createNamespace({ body: { metadata: { name: installNamespace } } });
    createdInstallNamespace = true;
  }
});
afterAll(async () => {
  if (createdInstallNamespace) await deleteNamespace(kc, installNamespace);
});

describe('installation', () => {
  it('config/default passes a server-side dry run', async () => {
    const out = await kubectl(['apply', '-k', `${repoRoot}/config/default`, '--server-side', '--dry-run=server', '--field-manager=kubesmith-test']);
    for (const expected of [
      'customresourcedefinition.apiextensions.k8s.io/machinehosts.kubesmith.io serverside-applied (server dry run)',
      'clusterrole.rbac.authorization.k8s.io/kubesmith-manager serverside-applied (server dry run)',
      'deployment.apps/kubesmith-controller serverside-applied (server dry run)',
    ]) {
      expect(out).toContain(expected);
    }
  });

  it('grants no wildcard permissions', async () => {
    const out = await kubectl(['kustomize', `${repoRoot}/config/default`]);
    expect(out).not.toMatch(/resources:\s*\n\s*- '\*'|verbs:\s*\n\s*- '\*'|\[\s*'?\*'?\s*\]/);
  });

  it('kubectl explain shows the field descriptions', async () => {
    const out = await kubectl(['explain', 'machinehost.spec']);
    expect(out).toContain('IP address or DNS name at which the machine is reachable over SSH.');
    expect(out).toMatch(/sshKeySecretRef\s+<Object> -required-/);
  });

  it('kubectl get shows the printer columns and finds kinds by short name and category', async () => {
    const ns = await createNamespace(kc, 'columns');
    try {
      await kubectl(['apply', '-n', ns, '-f', `${repoRoot}/config/samples/cluster-small.yaml`]);
      const hosts = await kubectl(['get', 'mh', '-n', ns]);
      expect(hosts.split('\n')[0]).toMatch(/^NAME\s+ADDRESS\s+OS\s+READY\s+REASON\s+AGE$/);
      expect(hosts).toContain('small-cp-1');
      const cps = await kubectl(['get', 'kscp', '-n', ns]);
      expect(cps.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+REPLICAS\s+READY\s+ENDPOINT\s+AVAILABLE\s+AGE$/);
      const all = await kubectl(['get', 'kubesmith', '-n', ns, '-o', 'name']);
      expect(all.trim().split('\n').sort()).toEqual([
        'controlplane.kubesmith.io/small',
        'machinehost.kubesmith.io/small-cp-1',
        'machinehost.kubesmith.io/small-worker-1',
        'networkaddon.kubesmith.io/small-network',
        'workerpool.kubesmith.io/small-workers',
      ]);
    } finally {
      await deleteNamespace(kc, ns);
    }
  });
});

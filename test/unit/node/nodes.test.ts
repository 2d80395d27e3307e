import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { MANAGED_LABELS_ANNOTATION, MANAGED_TAINTS_ANNOTATION, nodeMetadataPatch } from '../../../src/controllers/node/nodes.ts';

function node(labels: Record<string, string>, taints: V1Taint[], annotations: Record<string, string> = {}): V1Node {
  return { metadata: { name: 'w1', resourceVersion: '7', labels, annotations }, spec: { taints } };
}

type Patch = { metadata: { labels: Record<string, string | null>; annotations: Record<string, string>; resourceVersion: string }; spec?: { taints: unknown[] } };

describe('labels and taints kubesmith manages on a Node', () => {
  it('adds what the pool wants and records it, leaving everyone else’s alone', () => {
    const patch = nodeMetadataPatch(node({ 'kubernetes.io/hostname': 'w1' }, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), { tier: 'web' }, [
      { key: 'dedicated', effect: 'NoSchedule' },
    ]) as Patch;
    expect(patch.metadata.labels).toEqual({ tier: 'web' });
    expect(patch.metadata.resourceVersion).toBe('7');
    expect(patch.metadata.annotations).toEqual({ [MANAGED_LABELS_ANNOTATION]: 'tier', [MANAGED_TAINTS_ANNOTATION]: 'dedicated:NoSchedule' });
    expect(patch.spec!.taints).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'dedicated', effect: 'NoSchedule' },
    ]);
  });

  it('removes only what it set before and no longer wants', () => {
    const before = node(
      { tier: 'web', team: 'a' },
      [
        { key: 'dedicated', effect: 'NoSchedule' },
        { key: 'someone-else', effect: 'NoSchedule' },
      ],
      { [MANAGED_LABELS_ANNOTATION]: 'tier', [MANAGED_TAINTS_ANNOTATION]: 'dedicated:NoSchedule' },
    );
    const patch = nodeMetadataPatch(before, {}, []) as Patch;
    expect(patch.metadata.labels).toEqual({ tier: null });
    expect(patch.spec!.taints).toEqual([{ key: 'someone-else', effect: 'NoSchedule' }]);
  });

  it('asks for nothing when the Node already matches, so a second reconcile writes nothing', () => {
    const synced = node({ tier: 'web' }, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }], {
      [MANAGED_LABELS_ANNOTATION]: 'tier',
      [MANAGED_TAINTS_ANNOTATION]: 'dedicated:NoSchedule',
    });
    expect(nodeMetadataPatch(synced, { tier: 'web' }, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }])).toBeUndefined();
    // A changed value is a change.
    expect(nodeMetadataPatch(synced, { tier: 'web' }, [{ key: 'dedicated', value: 'y', effect: 'NoSchedule' }])).toBeDefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { ControlPlane, MachineHost } from '../../../src/api/index.ts';
import { planClaims } from '../../../src/controllers/control-plane/claim.ts';
import { matchesSelector } from '../../../src/controllers/label-selector.ts';

function host(name: string, options: { ready?: boolean; labels?: Record<string, string>; consumer?: string; namespace?: string } = {}): MachineHost {
  return {
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'MachineHost',
    metadata: { name, namespace: options.namespace ?? 'ns', labels: options.labels ?? { role: 'cp' } },
    spec: { address: '10.0.0.1', port: 22, user: 'root', sshKeySecretRef: { name: 'k', key: 'k' }, paused: false },
    status: {
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True', reason: 'R', message: '', lastTransitionTime: '' }],
      ...(options.consumer ? { consumerRef: { kind: 'ControlPlane' as const, name: options.consumer } } : {}),
    },
  };
}

const cp = (replicas: number) =>
  ({ metadata: { name: 'demo', namespace: 'ns' }, spec: { replicas, hostSelector: { matchLabels: { role: 'cp' } } } }) as unknown as ControlPlane;

describe('planClaims', () => {
  it('keeps the hosts it holds and fills up with free Ready matching hosts by name', () => {
    const plan = planClaims(cp(3), [host('c'), host('b', { consumer: 'demo' }), host('a'), host('d')]);
    expect(plan.members.map((h) => h.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(plan.toClaim.map((h) => h.metadata.name)).toEqual(['a', 'c']);
    expect(plan.missing).toBe(0);
  });

  it('holding more than spec.replicas, keeps the first by name and names the rest, last first, as surplus', () => {
    const plan = planClaims(cp(3), ['e', 'a', 'd', 'c', 'b'].map((n) => host(n, { consumer: 'demo' })));
    expect(plan.members.map((h) => h.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(plan.surplus.map((h) => h.metadata.name)).toEqual(['e', 'd']);
    expect(plan.toClaim).toEqual([]);
  });

  it('never counts a host held by another owner, one not Ready, not matching or in another namespace', () => {
    const plan = planClaims(cp(3), [
      host('a'),
      host('b', { consumer: 'other' }),
      host('c', { ready: false }),
      host('d', { labels: { role: 'worker' } }),
      host('e', { namespace: 'elsewhere' }),
    ]);
    expect(plan).toMatchObject({ missing: 2, toClaim: [] });
  });
});

describe('planClaims with facts and a kept endpoint', () => {
  it('never claims a free host whose facts do not qualify, and counts it as missing', () => {
    const plan = planClaims(cp(2), [host('a'), host('b'), host('c')], { qualifies: (h) => h.metadata.name !== 'a' });
    expect(plan.toClaim.map((h) => h.metadata.name)).toEqual(['b', 'c']);
    const short = planClaims(cp(3), [host('a'), host('b'), host('c')], { qualifies: (h) => h.metadata.name !== 'a' });
    expect(short).toMatchObject({ missing: 1, toClaim: [] });
  });

  it('keeps the endpoint host first among the members, and never makes it surplus', () => {
    // Scaling 1 -> 3 where the new hosts sort before the first one: members[0] stays the endpoint host.
    const grow = planClaims(cp(3), [host('c', { consumer: 'demo' }), host('a'), host('b')], { first: 'c' });
    expect(grow.members.map((h) => h.metadata.name)).toEqual(['c', 'a', 'b']);
    const shrink = planClaims(cp(1), ['a', 'b', 'c'].map((n) => host(n, { consumer: 'demo' })), { first: 'c' });
    expect(shrink.members.map((h) => h.metadata.name)).toEqual(['c']);
    expect(shrink.surplus.map((h) => h.metadata.name)).toEqual(['b', 'a']);
  });
});

describe('matchesSelector', () => {
  it('applies matchLabels and every expression operator', () => {
    const labels = { role: 'cp', zone: 'a' };
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { role: 'cp' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { role: 'worker' } }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, labels)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { manifestPath } from '../../../src/workload/apply.ts';

describe('the API path of an applied object', () => {
  it('puts namespaced kinds under their namespace and cluster-wide ones at the top, core and grouped', () => {
    expect(manifestPath({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' } })).toBe('/api/v1/namespaces/kube-system/configmaps/coredns');
    expect(manifestPath({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'kube-flannel' } })).toBe('/apis/apps/v1/namespaces/kube-flannel/daemonsets/ds');
    expect(manifestPath({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:coredns' } })).toBe(
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acoredns',
    );
    expect(manifestPath({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-flannel' } })).toBe('/api/v1/namespaces/kube-flannel');
  });

  it('refuses a kind it has no path for, naming it', () => {
    expect(() => manifestPath({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'x' } })).toThrow('no API path known for batch/v1 Job');
  });
});

import { describe, expect, it } from 'vitest';
import { componentFlags } from '../../../../src/controllers/control-plane/components/component.ts';
import { controlPlaneComponents } from '../../../../src/controllers/control-plane/components/components.ts';
import { componentFiles } from '../../../../src/controllers/control-plane/components/files.ts';
import { componentsPlan } from '../../../../src/controllers/control-plane/components/plan.ts';
import { controlPlaneSpec, type ControlPlane } from '../../../../src/api/control-plane.ts';
import { hostFileLayout, kubeadmCertificateSet } from '../../../../src/pki/index.ts';
import { plan } from './fixtures.ts';

const key = Buffer.alloc(32, 1).toString('base64');

describe('componentFiles', () => {
  it('gives the three configuration files and the three units, readable by root only', () => {
    expect(componentFiles(plan, key).map((f) => [f.path, f.mode])).toEqual([
      ['/etc/kubernetes/audit-policy.yaml', 0o600],
      ['/etc/kubernetes/authentication-config.yaml', 0o600],
      ['/etc/kubernetes/encryption-config.yaml', 0o600],
      ['/etc/systemd/system/kube-apiserver.service', 0o600],
      ['/etc/systemd/system/kube-controller-manager.service', 0o600],
      ['/etc/systemd/system/kube-scheduler.service', 0o600],
    ]);
  });

  it('names in flags only files a control-plane host receives from the PKI phase or from here', () => {
    const written = new Set([
      ...hostFileLayout(kubeadmCertificateSet, 'control-plane').map((s) => s.path),
      ...componentFiles(plan, key).map((f) => f.path),
    ]);
    const named = controlPlaneComponents
      .flatMap((c) => componentFlags(c, plan))
      .map(([, value]) => value)
      .filter((value) => value.startsWith('/etc/'));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((path) => !written.has(path))).toEqual([]);
  });
});

describe('componentsPlan', () => {
  it("takes the cluster's settings from the ControlPlane and the local etcd member unless told otherwise", () => {
    const cp: ControlPlane = {
      apiVersion: 'kubesmith.io/v1alpha1',
      kind: 'ControlPlane',
      metadata: { name: 'demo', namespace: 'clusters' },
      spec: controlPlaneSpec.parse({
        version: 'v1.36.3',
        hostSelector: {},
        clusterNetwork: { podCIDR: '10.200.0.0/16', serviceCIDR: '10.100.0.0/16', dnsDomain: 'example.internal' },
        apiServer: { extraArgs: { v: '2' } },
      }),
    };
    expect(componentsPlan(cp, { advertiseIP: '10.0.0.11' })).toEqual({
      clusterName: 'demo',
      advertiseIP: '10.0.0.11',
      serviceCIDR: '10.100.0.0/16',
      podCIDR: '10.200.0.0/16',
      dnsDomain: 'example.internal',
      etcdServers: ['https://127.0.0.1:2379'],
      extraArgs: { apiServer: { v: '2' }, controllerManager: undefined, scheduler: undefined },
    });
  });
});

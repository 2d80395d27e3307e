import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeletConfig, kubeletUnit } from '../../../src/controllers/node/kubelet.ts';
import { kubeProxyConfig } from '../../../src/controllers/node/kube-proxy.ts';
import { ManagedFlagError } from '../../../src/controllers/units/managed-flags.ts';
import { plan } from './fixtures.ts';

describe('the kubelet configuration', () => {
  it('is built from the plan, with the operator-issued serving certificate and no rotation', () => {
    const config = parse(kubeletConfig(plan({ maxPods: 50, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), '/etc/resolv.conf'));
    expect(config).toMatchObject({
      kind: 'KubeletConfiguration',
      cgroupDriver: 'systemd',
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      maxPods: 50,
      registerWithTaints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
      authorization: { mode: 'Webhook' },
      tlsCertFile: '/etc/kubernetes/pki/kubelet-server.crt',
      rotateCertificates: false,
      serverTLSBootstrap: false,
      readOnlyPort: 0,
    });
    expect(config).not.toHaveProperty('failCgroupV1');
  });

  it('quotes values a YAML 1.1 reader such as the kubelet would take for booleans', () => {
    const text = kubeletConfig(plan({ taints: [{ key: 'dedicated', value: 'yes', effect: 'NoSchedule' }] }), '/etc/resolv.conf');
    expect(parse(text, { version: '1.1' }).registerWithTaints).toEqual([{ key: 'dedicated', value: 'yes', effect: 'NoSchedule' }]);
  });

  it('runs on cgroup v1 only where the host has it', () => {
    expect(parse(kubeletConfig(plan({ cgroupV1: true }), '/etc/resolv.conf')).failCgroupV1).toBe(false);
  });

  it('gives pods the resolv.conf it is told, so a systemd-resolved stub never reaches CoreDNS', () => {
    expect(parse(kubeletConfig(plan(), '/run/systemd/resolve/resolv.conf')).resolvConf).toBe('/run/systemd/resolve/resolv.conf');
  });

  it('is started with the node name and address, and refuses extraArgs that override them', () => {
    const unit = kubeletUnit(plan({ extraArgs: { v: '2' } }));
    expect(unit).toContain('--hostname-override=worker-1');
    expect(unit).toContain('--node-ip=10.0.0.21');
    expect(unit).toContain('--v=2');
    expect(() => kubeletUnit(plan({ extraArgs: { 'node-ip': '1.2.3.4' } }))).toThrow(ManagedFlagError);
  });
});

describe('the kube-proxy configuration', () => {
  it('follows spec.kubeProxy.mode and leaves conntrack alone except in a container', () => {
    const machine = parse(kubeProxyConfig(plan({ kubeProxyMode: 'nftables' })));
    expect(machine).toMatchObject({ mode: 'nftables', clusterCIDR: '10.244.0.0/16', hostnameOverride: 'worker-1' });
    expect(machine).not.toHaveProperty('conntrack');
    expect(parse(kubeProxyConfig(plan({ inContainer: true }))).conntrack).toEqual({ maxPerCore: 0 });
  });
});

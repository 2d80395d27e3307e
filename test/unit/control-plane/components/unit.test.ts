import { describe, expect, it } from 'vitest';
import { controlPlaneComponents } from '../../../../src/controllers/control-plane/components/components.ts';
import { kubeScheduler } from '../../../../src/controllers/control-plane/components/kube-scheduler.ts';
import { componentUnit } from '../../../../src/controllers/control-plane/components/unit.ts';
import { plan } from './fixtures.ts';

describe('controlPlaneComponents', () => {
  it('lists each component with its binary, unit, health endpoint and extraArgs field, API server first', () => {
    expect(controlPlaneComponents.map(({ name, binary, unitPath, healthURL, extraArgsField, unitType, after }) => ({ name, binary, unitPath, healthURL, extraArgsField, unitType, after }))).toEqual([
      {
        name: 'kube-apiserver',
        binary: '/usr/local/bin/kube-apiserver',
        unitPath: '/etc/systemd/system/kube-apiserver.service',
        healthURL: 'https://127.0.0.1:6443/readyz',
        extraArgsField: 'apiServer',
        unitType: 'notify',
        after: ['etcd.service'],
      },
      {
        name: 'kube-controller-manager',
        binary: '/usr/local/bin/kube-controller-manager',
        unitPath: '/etc/systemd/system/kube-controller-manager.service',
        healthURL: 'https://127.0.0.1:10257/healthz',
        extraArgsField: 'controllerManager',
        unitType: 'simple',
        after: [],
      },
      {
        name: 'kube-scheduler',
        binary: '/usr/local/bin/kube-scheduler',
        unitPath: '/etc/systemd/system/kube-scheduler.service',
        healthURL: 'https://127.0.0.1:10259/healthz',
        extraArgsField: 'scheduler',
        unitType: 'simple',
        after: [],
      },
    ]);
  });
});

describe('componentUnit', () => {
  it('runs the scheduler from its release binary under systemd, extra flags last and quoted where needed', () => {
    expect(componentUnit(kubeScheduler, { ...plan, extraArgs: { scheduler: { v: '2', 'feature-gates': 'A=true, B=false' } } })).toMatchInlineSnapshot(`
      "[Unit]
      Description=Kubernetes scheduler (managed by kubesmith)
      Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/
      After=network-online.target
      Wants=network-online.target

      [Service]
      Type=simple
      ExecStart=/usr/local/bin/kube-scheduler \\
        --authentication-kubeconfig=/etc/kubernetes/scheduler.conf \\
        --authorization-kubeconfig=/etc/kubernetes/scheduler.conf \\
        --bind-address=127.0.0.1 \\
        --kubeconfig=/etc/kubernetes/scheduler.conf \\
        --leader-elect=true \\
        --profiling=false \\
        "--feature-gates=A=true, B=false" \\
        --v=2
      Restart=always
      RestartSec=5s
      LimitNOFILE=65536

      [Install]
      WantedBy=multi-user.target
      "
    `);
  });

  it('starts the API server after etcd and lets it tell systemd when it serves', () => {
    const unit = componentUnit(controlPlaneComponents[0]!, plan);
    expect(unit).toContain('\nAfter=network-online.target etcd.service\n');
    expect(unit).toContain('\nType=notify\n');
    expect(unit).toContain('ExecStart=/usr/local/bin/kube-apiserver \\\n  --advertise-address=10.0.0.11 \\\n');
    expect(unit).toMatch(/--tls-private-key-file=\/etc\/kubernetes\/pki\/apiserver\.key\nRestart=always\n/);
  });

  it.each(controlPlaneComponents.map((c) => [c.name, c] as const))('%s: the same plan gives the same bytes', (_name, component) => {
    const reordered = { ...plan, extraArgs: { [component.extraArgsField]: { v: '2', 'a-flag': 'x' } } };
    const again = { ...plan, extraArgs: { [component.extraArgsField]: { 'a-flag': 'x', v: '2' } } };
    expect(componentUnit(component, reordered)).toBe(componentUnit(component, again));
  });
});

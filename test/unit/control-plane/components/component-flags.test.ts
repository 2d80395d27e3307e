import { describe, expect, it } from 'vitest';
import { componentFlags, extraArgsFieldPath } from '../../../../src/controllers/control-plane/components/component.ts';
import { controlPlaneComponents } from '../../../../src/controllers/control-plane/components/components.ts';
import { kubeApiServer } from '../../../../src/controllers/control-plane/components/kube-apiserver.ts';
import { kubeControllerManager } from '../../../../src/controllers/control-plane/components/kube-controller-manager.ts';
import { kubeScheduler } from '../../../../src/controllers/control-plane/components/kube-scheduler.ts';
import { ManagedFlagError } from '../../../../src/controllers/units/managed-flags.ts';
import { plan } from './fixtures.ts';

const asArgs = (flags: [string, string][]) => flags.map(([name, value]) => `--${name}=${value}`);

describe('kube-apiserver flags', () => {
  it("are kubeadm's plus the CIS items and a shutdown that keeps listening, with anonymous access left to the authentication config", () => {
    expect(asArgs(componentFlags(kubeApiServer, { ...plan, etcdServers: ['https://127.0.0.1:2379', 'https://10.0.0.12:2379'] }))).toEqual([
      '--advertise-address=10.0.0.11',
      '--allow-privileged=true',
      '--audit-log-maxage=30',
      '--audit-log-maxbackup=10',
      '--audit-log-maxsize=100',
      '--audit-log-path=/var/log/kubernetes/audit/audit.log',
      '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
      '--authentication-config=/etc/kubernetes/authentication-config.yaml',
      '--authorization-mode=Node,RBAC',
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--enable-admission-plugins=NodeRestriction',
      '--encryption-provider-config=/etc/kubernetes/encryption-config.yaml',
      '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
      '--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
      '--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key',
      '--etcd-servers=https://127.0.0.1:2379,https://10.0.0.12:2379',
      '--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt',
      '--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt',
      '--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key',
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      '--profiling=false',
      '--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt',
      '--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key',
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      '--secure-port=6443',
      '--service-account-extend-token-expiration=false',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-account-key-file=/etc/kubernetes/pki/sa.pub',
      '--service-account-signing-key-file=/etc/kubernetes/pki/sa.key',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--shutdown-send-retry-after=true',
      '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
      '--tls-min-version=VersionTLS12',
      '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
    ]);
  });

  it('never passes --anonymous-auth, and refuses it in extraArgs', () => {
    const names = componentFlags(kubeApiServer, plan).map(([name]) => name);
    expect(names).not.toContain('anonymous-auth');
    expect(() => componentFlags(kubeApiServer, { ...plan, extraArgs: { apiServer: { 'anonymous-auth': 'false' } } })).toThrow(
      'spec.apiServer.extraArgs sets anonymous-auth, which kubesmith manages itself; remove it',
    );
    expect(() => componentFlags(kubeApiServer, { ...plan, extraArgs: { apiServer: { 'authorization-config': '/x.yaml' } } })).toThrow(ManagedFlagError);
  });
});

describe('kube-controller-manager flags', () => {
  it("are kubeadm's plus the CIS items, allocating node CIDRs from the pod CIDR", () => {
    expect(asArgs(componentFlags(kubeControllerManager, plan))).toEqual([
      '--allocate-node-cidrs=true',
      '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--bind-address=127.0.0.1',
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-cidr=10.244.0.0/16',
      '--cluster-name=demo',
      '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--leader-elect=true',
      '--profiling=false',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--root-ca-file=/etc/kubernetes/pki/ca.crt',
      '--service-account-private-key-file=/etc/kubernetes/pki/sa.key',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--terminated-pod-gc-threshold=10',
      '--use-service-account-credentials=true',
    ]);
  });
});

describe('kube-scheduler flags', () => {
  it("are kubeadm's plus no profiling", () => {
    expect(asArgs(componentFlags(kubeScheduler, plan))).toEqual([
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
      '--profiling=false',
    ]);
  });
});

describe.each(controlPlaneComponents.map((c) => [c.name, c] as const))('%s extraArgs', (_name, component) => {
  const withExtra = (args: Record<string, string>) => ({ ...plan, extraArgs: { [component.extraArgsField]: args } });

  it('adds flags after the managed ones, in name order', () => {
    const flags = componentFlags(component, withExtra({ v: '2', 'feature-gates': 'Foo=true' }));
    expect(flags.slice(-2)).toEqual([
      ['feature-gates', 'Foo=true'],
      ['v', '2'],
    ]);
    expect(flags.slice(0, -2)).toEqual(componentFlags(component, plan));
  });

  it('refuses an override of a managed flag, naming the field and the flag', () => {
    const attempt = () => componentFlags(component, withExtra({ profiling: 'true' }));
    expect(attempt).toThrow(ManagedFlagError);
    expect(attempt).toThrow(`${extraArgsFieldPath(component)} sets profiling, which kubesmith manages itself; remove it`);
    expect(extraArgsFieldPath(component)).toBe(`spec.${component.extraArgsField}.extraArgs`);
  });

  it("ignores the other components' extraArgs", () => {
    const others = controlPlaneComponents.filter((c) => c !== component);
    const plan2 = { ...plan, extraArgs: Object.fromEntries(others.map((c) => [c.extraArgsField, { profiling: 'true' }])) };
    expect(componentFlags(component, plan2)).toEqual(componentFlags(component, plan));
  });
});

import { describe, expect, it } from 'vitest';
import {
  CertificateSetError,
  defineCertificateSet,
  kubeadmCertificateSet,
  sansOf,
  subjectOf,
  type CertificateSpec,
  type PkiSpec,
} from '../../../src/pki/index.ts';
import { cluster, cp1, cp2, worker1 } from './support.ts';

describe('the kubeadm certificate set', () => {
  it('has kubeadm’s CA tree', () => {
    const tree = Object.fromEntries([...kubeadmCertificateSet.tree].map(([ca, certs]) => [ca, certs.map((c) => c.name).sort()]));
    expect(tree).toEqual({
      ca: [
        'admin',
        'apiserver',
        'apiserver-kubelet-client',
        'controller-manager',
        'kube-proxy',
        'kubelet',
        'kubelet-server',
        'scheduler',
        'super-admin',
      ],
      'front-proxy-ca': ['front-proxy-client'],
      'etcd/ca': ['apiserver-etcd-client', 'etcd/healthcheck-client', 'etcd/peer', 'etcd/server'],
    });
    expect(kubeadmCertificateSet.authorities.map((a) => [a.name, a.commonName, a.secret])).toEqual([
      ['ca', 'kubernetes', 'ca'],
      ['front-proxy-ca', 'front-proxy-ca', 'proxy'],
      ['etcd/ca', 'etcd-ca', 'etcd'],
    ]);
    expect(kubeadmCertificateSet.keyPairs.map((k) => [k.name, k.file, k.secret])).toEqual([['sa', 'sa', 'sa']]);
  });

  it('gives each certificate kubeadm’s subject and extended key usages', () => {
    const scope = { cluster, host: cp1 };
    const table = Object.fromEntries(
      kubeadmCertificateSet.certificates.map((spec) => {
        const subject = subjectOf(spec, scope);
        return [spec.name, [subject.commonName, (subject.organizations ?? []).join(','), spec.extKeyUsages.join(',')]];
      }),
    );
    expect(table).toEqual({
      apiserver: ['kube-apiserver', '', 'serverAuth'],
      'apiserver-kubelet-client': ['kube-apiserver-kubelet-client', 'kubeadm:cluster-admins', 'clientAuth'],
      'front-proxy-client': ['front-proxy-client', '', 'clientAuth'],
      'etcd/server': ['cp-1', '', 'serverAuth,clientAuth'],
      'etcd/peer': ['cp-1', '', 'serverAuth,clientAuth'],
      'etcd/healthcheck-client': ['kube-etcd-healthcheck-client', '', 'clientAuth'],
      'apiserver-etcd-client': ['kube-apiserver-etcd-client', '', 'clientAuth'],
      admin: ['kubernetes-admin', 'kubeadm:cluster-admins', 'clientAuth'],
      'super-admin': ['kubernetes-super-admin', 'system:masters', 'clientAuth'],
      'controller-manager': ['system:kube-controller-manager', '', 'clientAuth'],
      scheduler: ['system:kube-scheduler', '', 'clientAuth'],
      kubelet: ['system:node:cp-1', 'system:nodes', 'clientAuth'],
      'kubelet-server': ['system:node:cp-1', 'system:nodes', 'serverAuth'],
      'kube-proxy': ['system:kube-proxy', '', 'clientAuth'],
    });
  });

  it('gives each host a kubelet serving certificate for its hostname and addresses, for serving only', () => {
    const spec = kubeadmCertificateSet.certificate('kubelet-server');
    expect(spec.ca).toBe('ca');
    expect(spec.scope).toBe('host');
    expect(spec.output).toEqual({ type: 'pki', file: 'kubelet-server' });
    expect(spec.on).toEqual(['control-plane', 'worker']);
    expect(spec.extKeyUsages).toEqual(['serverAuth']);
    expect(subjectOf(spec, { cluster, host: cp2 })).toEqual({ commonName: 'system:node:cp-2.lab', organizations: ['system:nodes'] });
    expect(sansOf(spec, { cluster, host: cp1 })).toEqual({ dns: ['cp-1'], ips: ['10.0.0.5'] });
    expect(sansOf(spec, { cluster, host: cp2 })).toEqual({ dns: ['cp-2.lab'], ips: ['10.0.0.6', 'fd00:10::6'] });
    expect(sansOf(spec, { cluster, host: worker1 })).toEqual({ dns: ['w-1'], ips: ['10.0.1.7'] });
  });

  it('gives each host a kube-proxy client identity in a kubeconfig pointing at the cluster endpoint', () => {
    const spec = kubeadmCertificateSet.certificate('kube-proxy');
    expect(spec.ca).toBe('ca');
    expect(spec.scope).toBe('host');
    expect(spec.output).toEqual({ type: 'kubeconfig', file: 'kube-proxy.conf', server: 'endpoint' });
    expect(spec.on).toEqual(['control-plane', 'worker']);
    expect(spec.extKeyUsages).toEqual(['clientAuth']);
    expect(subjectOf(spec, { cluster, host: worker1 })).toEqual({ commonName: 'system:kube-proxy' });
    expect(sansOf(spec, { cluster, host: worker1 })).toEqual({ dns: [], ips: [] });
  });
});

describe('defineCertificateSet', () => {
  const ca = kubeadmCertificateSet.authority('ca');
  const leaf = (overrides: Partial<CertificateSpec>): PkiSpec =>
    ({ ...kubeadmCertificateSet.certificate('front-proxy-client'), ...overrides }) as CertificateSpec;

  it('fails at load when a certificate names an unknown CA, naming the certificate and the known CAs', () => {
    const define = () => defineCertificateSet([ca, leaf({ name: 'typo', ca: 'etcd-ca' })]);
    expect(define).toThrow(CertificateSetError);
    expect(define).toThrow('"typo" names unknown CA "etcd-ca"; the CAs are "ca"');
  });

  it('reports every problem at once: unknown CA, a non-CA as CA, duplicate names and files', () => {
    const sa = kubeadmCertificateSet.keyPairs[0]!;
    try {
      defineCertificateSet([
        ca,
        sa,
        leaf({ name: 'a', ca: 'nope' }),
        leaf({ name: 'b', ca: 'sa', output: { type: 'pki', file: 'b' } }),
        leaf({ name: 'a', ca: 'ca', output: { type: 'pki', file: 'c' } }),
        leaf({ name: 'd', ca: 'ca', output: { type: 'pki', file: 'c' } }),
      ]);
      expect.unreachable('defineCertificateSet accepted an inconsistent set');
    } catch (error) {
      expect(error).toBeInstanceOf(CertificateSetError);
      expect((error as CertificateSetError).problems).toEqual([
        '"a" is defined twice',
        '"d" and "a" both write pki/c',
        '"a" names unknown CA "nope"; the CAs are "ca"',
        '"b" names "sa" as its CA, but "sa" is a key-pair, not a CA',
      ]);
    }
  });

  it('refuses a certificate sent to hosts that do not receive its CA', () => {
    const frontProxyCa = kubeadmCertificateSet.authority('front-proxy-ca');
    expect(() => defineCertificateSet([frontProxyCa, leaf({ on: ['worker'] })])).toThrow(
      '"front-proxy-client" goes to worker hosts but its CA "front-proxy-ca" does not',
    );
  });

  it('accepts the kubeadm set as defined', () => {
    expect(() => defineCertificateSet(kubeadmCertificateSet.specs)).not.toThrow();
  });
});

// The dry run of the PKI phase: a host's existing files compared with the plan, spec by spec.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildKubeconfig,
  generateAuthority,
  generateClusterPki,
  hostMaterial,
  issueCertificate,
  kubeadmCertificateSet,
  readKubeconfig,
  renderHostFiles,
  reviewHostFiles,
  type ClusterPki,
  type HostReviewInput,
} from '../../../src/pki/index.ts';
import { cluster, cp1, DAY } from './support.ts';

const options = { keyAlgorithm: 'ECDSAP256' } as const;
const scope = { cluster, host: cp1 };
const controlPlaneSpecs = [
  'ca', 'front-proxy-ca', 'etcd/ca', 'sa', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'etcd/server',
  'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client', 'admin', 'super-admin', 'controller-manager', 'scheduler', 'kubelet',
  'kubelet-server', 'kube-proxy',
];

let pki: ClusterPki;
let onHost: Map<string, string>;

beforeAll(async () => {
  pki = await generateClusterPki({ cluster, hosts: [{ host: cp1, role: 'control-plane' }], options });
  const files = renderHostFiles(kubeadmCertificateSet, 'control-plane', scope, hostMaterial(pki, 'cp-1'));
  onHost = new Map(files.map((f) => [f.path, f.content]));
});

function review(existing: Map<string, string>, extra: Partial<HostReviewInput> = {}) {
  return reviewHostFiles({
    set: kubeadmCertificateSet,
    role: 'control-plane',
    scope,
    authorities: pki.authorities,
    serviceAccount: pki.serviceAccount,
    existing,
    ...extra,
  });
}

const edited = (changes: Record<string, string | undefined>) => {
  const copy = new Map(onHost);
  for (const [path, content] of Object.entries(changes)) {
    if (content === undefined) copy.delete(`/etc/kubernetes/${path}`);
    else copy.set(`/etc/kubernetes/${path}`, content);
  }
  return copy;
};

const except = (changed: Record<string, string>) =>
  Object.fromEntries(controlPlaneSpecs.map((name) => [name, changed[name] ?? 'keep']));

describe('reviewHostFiles', () => {
  it('creates everything on a fresh host', async () => {
    const result = await review(new Map());
    expect([...result.actions]).toEqual(controlPlaneSpecs.map((name) => [name, 'create']));
    expect(result.differences).toEqual([]);
  });

  it('keeps everything on a host that already has what the plan wants, so a second pass writes nothing', async () => {
    const result = await review(onHost, { keyAlgorithm: 'ECDSAP256' });
    expect(Object.fromEntries(result.actions)).toEqual(except({}));
    expect(result.differences).toEqual([]);
  });

  it('reports a tampered certificate and leaves the rest alone', async () => {
    const wrong = await issueCertificate(
      kubeadmCertificateSet.certificate('etcd/server'),
      { cluster, host: { ...cp1, ips: ['10.0.0.9'] } },
      pki.authorities.get('etcd/ca')!,
      options,
    );
    const result = await review(edited({ 'pki/etcd/server.crt': wrong.certPem, 'pki/etcd/server.key': wrong.keyPem }));
    expect(Object.fromEntries(result.actions)).toEqual(except({ 'etcd/server': 'conflict' }));
    expect(result.differences.map((d) => d.message)).toEqual(['etcd/server on cp-1: SAN 10.0.0.5 missing; found 10.0.0.9']);
  });

  it('renews what is ours but expires soon', async () => {
    const result = await review(onHost, { now: new Date(Date.now() + 350 * DAY) });
    const renewed = [...result.actions].filter(([, action]) => action === 'renew').map(([name]) => name);
    expect(renewed).toEqual(controlPlaneSpecs.slice(4));
    expect(result.differences.every((d) => d.kind === 'ExpiresSoon')).toBe(true);
  });

  it('refuses to complete half a pair', async () => {
    const result = await review(edited({ 'pki/apiserver.key': undefined }));
    expect(result.actions.get('apiserver')).toBe('conflict');
    expect(result.differences.map((d) => d.message)).toEqual([
      'apiserver on cp-1: /etc/kubernetes/pki/apiserver.key is missing while /etc/kubernetes/pki/apiserver.crt exists',
    ]);
  });

  it('reports a CA of another cluster', async () => {
    const other = await generateAuthority(kubeadmCertificateSet.authority('ca'), options);
    const result = await review(edited({ 'pki/ca.crt': other.certPem, 'pki/ca.key': other.keyPem }));
    expect(result.actions.get('ca')).toBe('conflict');
    expect(result.differences.map((d) => [d.certificate, d.kind])).toEqual([['ca', 'AuthorityMismatch']]);
  });

  it('checks kubeconfigs: embedded CA, client certificate and server', async () => {
    const admin = readKubeconfig(onHost.get('/etc/kubernetes/admin.conf')!);
    const elsewhere = buildKubeconfig({ ...admin, clusterName: 'demo', server: 'https://old-lb.example:6443' });
    const scheduler = readKubeconfig(onHost.get('/etc/kubernetes/scheduler.conf')!);
    const other = await generateAuthority(kubeadmCertificateSet.authority('ca'), options);
    const foreignCa = buildKubeconfig({ ...scheduler, clusterName: 'demo', caCertPem: other.certPem });
    const result = await review(edited({ 'admin.conf': elsewhere, 'scheduler.conf': foreignCa, 'kubelet.conf': 'not: [a kubeconfig' }));
    expect(Object.fromEntries(result.actions)).toEqual(except({ admin: 'renew', scheduler: 'conflict', kubelet: 'conflict' }));
    expect(result.differences.map((d) => [d.certificate, d.kind, d.consequence])).toEqual([
      ['admin', 'ServerMismatch', 'renew'],
      ['scheduler', 'AuthorityMismatch', 'conflict'],
      ['kubelet', 'Unreadable', 'conflict'],
    ]);
    expect(result.differences[0]!.message).toBe('admin on cp-1: points at https://old-lb.example:6443, expected https://api.demo.example:443');
    expect(result.differences[1]!.message).toMatch(/^scheduler on cp-1: scheduler.conf embeds CA "CN=kubernetes" serial \w+, but the cluster's CA is/);
  });
});

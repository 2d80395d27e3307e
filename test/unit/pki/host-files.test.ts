import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateClusterPki,
  hostFileLayout,
  hostMaterial,
  kubeadmCertificateSet,
  MissingMaterialError,
  renderHostFiles,
  type ClusterPki,
} from '../../../src/pki/index.ts';
import { cluster, cp1, plannedHosts, worker1 } from './support.ts';

const pair = (base: string) => [`pki/${base}.crt 644`, `pki/${base}.key 600`];

/** kubeadm's /etc/kubernetes on a control-plane node, less the CA keys no component there uses. */
const controlPlaneFiles = [
  'pki/ca.crt 644',
  'pki/ca.key 600',
  'pki/front-proxy-ca.crt 644',
  'pki/etcd/ca.crt 644',
  'pki/sa.key 600',
  'pki/sa.pub 644',
  ...pair('apiserver'),
  ...pair('apiserver-kubelet-client'),
  ...pair('front-proxy-client'),
  ...pair('etcd/server'),
  ...pair('etcd/peer'),
  ...pair('etcd/healthcheck-client'),
  ...pair('apiserver-etcd-client'),
  ...pair('kubelet-server'),
  'admin.conf 600',
  'controller-manager.conf 600',
  'scheduler.conf 600',
  'super-admin.conf 600',
  'kubelet.conf 600',
  'kube-proxy.conf 600',
].sort();

const listing = (slots: { path: string; mode: number }[]) =>
  slots.map((s) => `${s.path.replace('/etc/kubernetes/', '')} ${s.mode.toString(8)}`).sort();

describe('the files of a host', () => {
  it('are kubeadm’s set on a control-plane host, with keys and kubeconfigs readable by root only', () => {
    expect(listing(hostFileLayout(kubeadmCertificateSet, 'control-plane'))).toEqual(controlPlaneFiles);
  });

  it('are the cluster CA, the kubelet and kube-proxy kubeconfigs and the kubelet serving pair on a worker', () => {
    expect(listing(hostFileLayout(kubeadmCertificateSet, 'worker'))).toEqual([
      'kube-proxy.conf 600',
      'kubelet.conf 600',
      'pki/ca.crt 644',
      'pki/kubelet-server.crt 644',
      'pki/kubelet-server.key 600',
    ]);
  });

  it('follow another root directory', () => {
    expect(hostFileLayout(kubeadmCertificateSet, 'worker', '/srv/k8s').map((s) => s.path).sort()).toEqual([
      '/srv/k8s/kube-proxy.conf',
      '/srv/k8s/kubelet.conf',
      '/srv/k8s/pki/ca.crt',
      '/srv/k8s/pki/kubelet-server.crt',
      '/srv/k8s/pki/kubelet-server.key',
    ]);
  });

  describe('rendered', () => {
    let pki: ClusterPki;
    beforeAll(async () => {
      pki = await generateClusterPki({ cluster, hosts: plannedHosts, options: { keyAlgorithm: 'ECDSAP256' } });
    });

    it('hold the cluster’s material, each host its own certificates', () => {
      const files = renderHostFiles(kubeadmCertificateSet, 'control-plane', { cluster, host: cp1 }, hostMaterial(pki, 'cp-1'));
      const content = (path: string) => files.find((f) => f.path === `/etc/kubernetes/${path}`)!.content;
      expect(content('pki/ca.crt')).toBe(pki.authorities.get('ca')!.certPem);
      expect(content('pki/ca.key')).toBe(pki.authorities.get('ca')!.keyPem);
      expect(content('pki/sa.pub')).toBe(pki.serviceAccount.publicKeyPem);
      expect(content('pki/etcd/server.crt')).toBe(pki.hosts.get('cp-1')!.get('etcd/server')!.certPem);
      expect(content('pki/etcd/server.crt')).not.toBe(pki.hosts.get('cp-2')!.get('etcd/server')!.certPem);
      expect(content('admin.conf')).toContain(Buffer.from(pki.cluster.get('admin')!.certPem).toString('base64'));
      for (const file of files) expect(file.content.length, file.path).toBeGreaterThan(0);
    });

    it('refuse to render without the material they need', () => {
      const material = hostMaterial(pki, 'w-1');
      const render = () =>
        renderHostFiles(kubeadmCertificateSet, 'worker', { cluster, host: worker1 }, { ...material, authorities: new Map() });
      expect(render).toThrow(MissingMaterialError);
      expect(render).toThrow('files of w-1 need CA ca, which was not given');
    });
  });
});

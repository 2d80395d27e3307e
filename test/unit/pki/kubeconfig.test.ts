// kubeconfigs as Kubernetes clients read them, and the certificates in them doing their job: a
// mutual-TLS handshake on loopback between the API server's serving certificate and a client.
import { checkServerIdentity, connect, createServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import {
  apiServerURL,
  buildKubeconfig,
  generateClusterPki,
  hostMaterial,
  InvalidKubeconfigError,
  kubeadmCertificateSet,
  kubeconfigServer,
  readKubeconfig,
  renderHostFiles,
  type ClusterPki,
} from '../../../src/pki/index.ts';
import { cluster, cp1, cp2 } from './support.ts';

const input = {
  clusterName: 'demo',
  server: 'https://api.demo.example:443',
  caCertPem: '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n',
  userName: 'kubernetes-admin',
  clientCertPem: '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n',
  clientKeyPem: '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n',
};
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('buildKubeconfig', () => {
  it('lays a kubeconfig out as kubeadm does', () => {
    expect(parse(buildKubeconfig(input))).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'demo', cluster: { 'certificate-authority-data': b64(input.caCertPem), server: 'https://api.demo.example:443' } }],
      contexts: [{ name: 'kubernetes-admin@demo', context: { cluster: 'demo', user: 'kubernetes-admin' } }],
      'current-context': 'kubernetes-admin@demo',
      preferences: {},
      users: [{ name: 'kubernetes-admin', user: { 'client-certificate-data': b64(input.clientCertPem), 'client-key-data': b64(input.clientKeyPem) } }],
    });
  });

  it('is read by @kubernetes/client-node', () => {
    const kc = new KubeConfig();
    kc.loadFromString(buildKubeconfig(input));
    expect(kc.getCurrentContext()).toBe('kubernetes-admin@demo');
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'demo', server: 'https://api.demo.example:443', caData: b64(input.caCertPem) });
    expect(kc.getCurrentUser()).toMatchObject({ name: 'kubernetes-admin', certData: b64(input.clientCertPem), keyData: b64(input.clientKeyPem) });
  });

  it('is read back by readKubeconfig, which names what a foreign kubeconfig lacks', () => {
    expect(readKubeconfig(buildKubeconfig(input))).toEqual({
      server: input.server,
      caCertPem: input.caCertPem,
      userName: input.userName,
      clientCertPem: input.clientCertPem,
      clientKeyPem: input.clientKeyPem,
    });
    const withFiles = buildKubeconfig(input).replace('client-key-data', 'client-key');
    expect(() => readKubeconfig(withFiles, 'admin.conf')).toThrow(InvalidKubeconfigError);
    expect(() => readKubeconfig(withFiles, 'admin.conf')).toThrow('admin.conf: the current context lacks client-key-data');
    expect(() => readKubeconfig('a: [b', 'admin.conf')).toThrow('admin.conf is not YAML');
  });

  it('brackets IPv6 servers and points local components at their own API server', () => {
    expect(apiServerURL('fd00::1', 6443)).toBe('https://[fd00::1]:6443');
    expect(apiServerURL('10.0.0.1', 6443)).toBe('https://10.0.0.1:6443');
    const scheduler = kubeadmCertificateSet.certificate('scheduler');
    const kubelet = kubeadmCertificateSet.certificate('kubelet');
    expect(kubeconfigServer(scheduler, { cluster, host: cp2 })).toBe('https://10.0.0.6:6443');
    expect(kubeconfigServer(scheduler, { cluster: { ...cluster, apiServerPort: 8443 }, host: cp1 })).toBe('https://10.0.0.5:8443');
    expect(kubeconfigServer(kubelet, { cluster, host: cp2 })).toBe('https://api.demo.example:443');
  });
});

interface Handshake {
  ok: boolean;
  error?: string;
  /** The client certificate the server saw. */
  client?: PeerCertificate;
}

async function handshake(
  server: { cert: string; key: string; ca: string },
  client: { cert: string; key: string; ca: string; servername?: string; checkAs?: string },
): Promise<Handshake> {
  const { checkAs, ...options } = client;
  // checkAs: verify the server certificate as if it had been reached at that address.
  const identity = checkAs === undefined ? {} : { checkServerIdentity: (_: string, cert: PeerCertificate) => checkServerIdentity(checkAs, cert) };
  const seen: PeerCertificate[] = [];
  const listener = createServer({ ...server, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    seen.push(socket.getPeerCertificate());
    socket.end();
  });
  listener.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  try {
    return await new Promise<Handshake>((resolve) => {
      let error: string | undefined;
      const socket = connect({ host: '127.0.0.1', port, ...options, ...identity });
      socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
      // With TLS 1.3 the client finishes before the server has judged its certificate, so success is
      // the server having accepted the connection and the client having raised nothing.
      socket.on('close', () =>
        resolve({ ok: seen.length > 0 && error === undefined, ...(error ? { error } : {}), ...(seen[0] ? { client: seen[0] } : {}) }),
      );
      socket.resume();
    });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
}

describe('certificates in use', () => {
  let pki: ClusterPki;
  let admin: { cert: string; key: string; ca: string };
  let apiserver: { cert: string; key: string; ca: string };

  beforeAll(async () => {
    pki = await generateClusterPki({ cluster, hosts: [{ host: cp1, role: 'control-plane' }], options: { keyAlgorithm: 'ECDSAP256' } });
    const files = renderHostFiles(kubeadmCertificateSet, 'control-plane', { cluster, host: cp1 }, hostMaterial(pki, 'cp-1'));
    const file = (path: string) => files.find((f) => f.path === `/etc/kubernetes/${path}`)!.content;
    const conf = parse(file('admin.conf'));
    const decode = (text: string) => Buffer.from(text, 'base64').toString('utf8');
    admin = {
      cert: decode(conf.users[0].user['client-certificate-data']),
      key: decode(conf.users[0].user['client-key-data']),
      ca: decode(conf.clusters[0].cluster['certificate-authority-data']),
    };
    apiserver = { cert: file('pki/apiserver.crt'), key: file('pki/apiserver.key'), ca: file('pki/ca.crt') };
  });

  it('let the admin kubeconfig and the API server complete a mutual-TLS handshake', async () => {
    const result = await handshake(apiserver, { ...admin, servername: 'kubernetes.default.svc' });
    expect(result.error).toBeUndefined();
    expect(result.client?.subject).toMatchObject({ CN: 'kubernetes-admin', O: 'kubeadm:cluster-admins' });
  });

  it('make the client refuse a server name the API server certificate does not carry', async () => {
    const result = await handshake(apiserver, { ...admin, servername: 'evil.example' });
    expect(result).toMatchObject({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('make the API server refuse a client certificate from another CA', async () => {
    const frontProxy = pki.hosts.get('cp-1')!.get('front-proxy-client')!;
    const result = await handshake(apiserver, { cert: frontProxy.certPem, key: frontProxy.keyPem, ca: admin.ca, servername: 'kubernetes' });
    expect(result.ok).toBe(false);
    expect(result.client).toBeUndefined();
  });

  it('let etcd answer clients on loopback and peers on the host’s name and address only', async () => {
    const etcd = (name: string) => pki.hosts.get('cp-1')!.get(name)!;
    const ca = pki.authorities.get('etcd/ca')!.certPem;
    const serving = { cert: etcd('etcd/server').certPem, key: etcd('etcd/server').keyPem, ca };
    const peering = { cert: etcd('etcd/peer').certPem, key: etcd('etcd/peer').keyPem, ca };
    const apiserverClient = { cert: etcd('apiserver-etcd-client').certPem, key: etcd('apiserver-etcd-client').keyPem, ca };

    const overLoopback = await handshake(serving, apiserverClient);
    expect(overLoopback.error).toBeUndefined();
    expect(overLoopback.client?.subject).toMatchObject({ CN: 'kube-apiserver-etcd-client' });
    expect((await handshake(serving, { ...apiserverClient, checkAs: '::1' })).ok).toBe(true);

    expect((await handshake(peering, { ...peering, checkAs: '10.0.0.5' })).ok).toBe(true);
    expect((await handshake(peering, { ...peering, servername: 'cp-1' })).client?.subject).toMatchObject({ CN: 'cp-1' });
    expect(await handshake(peering, peering)).toMatchObject({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(await handshake(peering, { ...peering, checkAs: '10.0.0.6' })).toMatchObject({ ok: false });
  });
});

// One control-plane host: an artifact with a wrong checksum is refused with nothing installed; with
// the right one etcd comes up over TLS with the cluster PKI in place, then the API server, the
// controller-manager and the scheduler, which a user reaches with kubectl and the kubeconfig Secret;
// a second reconcile writes nothing; a stopped component is reported and started again; a tampered
// certificate is reported and left alone; deletion takes down what was installed and gives the host back.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneResource } from '../../../src/controllers/resources.ts';
import { authorityFromSecret, issueCertificate, kubeadmCertificateSet } from '../../../src/pki/index.ts';
import { resourcePath, secretResource } from '../../../src/runtime/resources.ts';
import {
  createControlPlane,
  etcdctlOnHost,
  getControlPlane,
  KUBERNETES_VERSION,
  nudgeControlPlane,
  waitForControlPlane,
  type ControlPlaneEnv,
} from '../../support/control-plane-env.ts';
import type { TestHost, TestHosts } from '../../support/hosts.ts';
import { eventsFor, getMachineHost } from '../../support/machine-host-env.ts';
import { waitFor } from '../../support/wait.ts';
import { kubectlWith, workloadCluster } from '../../support/workload-cluster.ts';
import { readyControlPlaneHosts, settle, sh, type ControlPlaneWorld } from './support.ts';

const CP = 'solo';
let namespace: string;
let test: TestHosts;
let env: ControlPlaneEnv;
let world: ControlPlaneWorld;
let host: TestHost;
let goodSums: string;

beforeAll(async () => {
  world = await readyControlPlaneHosts('solo', 1);
  ({ namespace, test, env } = world);
  host = test.hosts[0]!;
  goodSums = readFileSync(join(env.releaseDir, 'SHA256SUMS'), 'utf8');
});
afterAll(async () => {
  await world?.stop();
});

const PKI = '/etc/kubernetes/pki';

describe('ControlPlane with one member on a real host', () => {
  it('refuses an etcd release whose SHA-256 is not the published one, and installs nothing', async () => {
    writeFileSync(join(env.releaseDir, 'SHA256SUMS'), goodSums.replace(/^[0-9a-f]{64}/, 'f'.repeat(64)));
    await createControlPlane(env.client, namespace, CP, { artifacts: { baseURL: env.mirror.baseURL, checksumPolicy: 'Required' } });
    const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'False', 'ArtifactChecksumMismatch');
    const etcd = cp.status!.conditions!.find((c) => c.type === 'EtcdClusterHealthy')!;
    expect(etcd.message).toContain('publishes ffff');
    expect(etcd.message).toContain('nothing from it was installed');
    // The roll-up names the cause; only a person can fix the mirror, so GitOps tools read it as failed.
    expect(cp.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ArtifactChecksumMismatch' });
    expect(cp.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'ArtifactChecksumMismatch' });
    expect(cp.status!.conditions!.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'ApiNotServing' });
    expect(cp.status!.conditions!.find((c) => c.type === 'HostsClaimed')).toMatchObject({ status: 'True' });
    expect(cp.metadata.finalizers).toContain('kubesmith.io/controlplane');
    expect((await getMachineHost(env.client, namespace, 'cp-1')).status?.consumerRef).toEqual({ kind: 'ControlPlane', name: CP });
    const installed = await host.run('ls /usr/local/bin/etcd /usr/local/bin/etcdctl /etc/systemd/system/etcd.service /var/lib/etcd 2>&1');
    expect(installed.stdout).not.toMatch(/^\/usr\/local\/bin\/etcd$/m);
    expect(installed.stdout.match(/No such file or directory/g)).toHaveLength(4);
  });

  it('with the right sum brings up etcd over TLS with client certificate auth', async () => {
    const tarball = '/etcd/v3.6.16/etcd-v3.6.16-linux-amd64.tar.gz';
    const refusedDownloads = env.mirror.requests.get(tarball) ?? 0;
    writeFileSync(join(env.releaseDir, 'SHA256SUMS'), goodSums);
    await nudgeControlPlane(env.client, namespace, CP);
    const cp = await waitForControlPlane(env.client, namespace, CP, 'EtcdClusterHealthy', 'True');
    expect(cp.status?.etcdMembers).toEqual([{ name: 'cp-1', host: 'cp-1', peerURL: `https://${host.address}:2380`, learner: false, healthy: true }]);
    expect(cp.status?.endpoint).toBe(`${host.address}:6443`);
    expect(cp.status?.replicas).toBe(1);
    const endpoint = `https://${host.address}:2379`;
    expect(await sh(host, etcdctlOnHost(endpoint, 'endpoint health'))).toContain('is healthy');
    await sh(host, etcdctlOnHost(endpoint, 'put /kubesmith/probe hello'));
    expect(await sh(host, etcdctlOnHost(endpoint, 'get /kubesmith/probe --print-value-only'))).toBe('hello\n');
    // Client certificate auth: a client without a certificate is turned away.
    const anonymous = await host.run(`/usr/local/bin/etcdctl --endpoints=${endpoint} --cacert=${PKI}/etcd/ca.crt --command-timeout=3s get /kubesmith/probe`);
    expect(anonymous.exitCode).not.toBe(0);
    const unit = await sh(host, 'cat /etc/systemd/system/etcd.service; stat -c "%a %U" /var/lib/etcd');
    expect(unit).toContain('--client-cert-auth=true');
    expect(unit).toContain('--peer-client-cert-auth=true');
    expect(unit).toMatch(/700 root\n$/);
    // A refused download is never kept (a retry still in flight when the sums were fixed may have
    // fetched it once more); the verified one is fetched once and reused.
    expect(refusedDownloads).toBeGreaterThanOrEqual(1);
    const verified = env.mirror.requests.get(tarball)!;
    expect(verified).toBeGreaterThan(refusedDownloads);
    await settle(env.pool, () => nudgeControlPlane(env.client, namespace, CP));
    expect(env.mirror.requests.get(tarball)).toBe(verified);
  });

  it('serves the API: kubectl with the kubeconfig Secret gets the spec version and creates objects', async () => {
    const cp = await waitForControlPlane(env.client, namespace, CP, 'Available', 'True');
    expect(cp.status?.kubeconfigSecretRef).toEqual({ name: `${CP}-kubeconfig` });
    expect(cp.status?.version).toBe(KUBERNETES_VERSION);
    expect(cp.status?.readyReplicas).toBe(1);
    expect(cp.status!.conditions!.find((c) => c.type === 'ControlPlaneComponentsHealthy')).toMatchObject({ status: 'True' });
    // Without a NetworkAddon no pod runs: once the member's Node has registered (Ready names the
    // first condition still waiting, and the kubelet may register after the API serves), cluster DNS
    // is what waits, for a network, and says so; nothing needs a person.
    const waiting = await waitForControlPlane(env.client, namespace, CP, 'Ready', 'False', 'WaitingForPodNetwork');
    const dns = waiting.status!.conditions!.find((c) => c.type === 'CoreDNSReady');
    expect(dns).toMatchObject({ status: 'False', reason: 'WaitingForPodNetwork' });
    expect(dns!.message).toContain(`create a NetworkAddon for ControlPlane ${CP}`);
    expect(waiting.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
    const secret = await env.client.get<V1Secret>(resourcePath(secretResource, namespace, `${CP}-kubeconfig`));
    expect(secret.metadata?.labels).toMatchObject({ 'cluster.x-k8s.io/cluster-name': CP });
    expect(secret.type).toBe('cluster.x-k8s.io/secret');
    const cluster = await workloadCluster(env.client, namespace, CP);
    const version = JSON.parse(await cluster.kubectl(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(KUBERNETES_VERSION);
    await cluster.kubectl(['create', 'namespace', 'smoke']);
    await cluster.kubectl(['-n', 'smoke', 'create', 'configmap', 'hello', '--from-literal=greeting=hi']);
    expect(await cluster.kubectl(['-n', 'smoke', 'get', 'configmap', 'hello', '-o', 'jsonpath={.data.greeting}'])).toBe('hi');
  });

  it('stores Secrets encrypted in etcd with the key kept in the management cluster', async () => {
    const cluster = await workloadCluster(env.client, namespace, CP);
    await cluster.kubectl(['-n', 'smoke', 'create', 'secret', 'generic', 'classified', '--from-literal=password=swordfish']);
    const raw = await sh(host, `${etcdctlOnHost(`https://${host.address}:2379`, 'get /registry/secrets/smoke/classified --print-value-only')} | head -c 40`);
    expect(raw).toMatch(/^k8s:enc:secretbox:v1:key1:/);
    const stored = await sh(host, `${etcdctlOnHost(`https://${host.address}:2379`, 'get /registry/secrets/smoke/classified --print-value-only')} | grep -c swordfish || true`);
    expect(stored.trim()).toBe('0');
    expect(await cluster.kubectl(['-n', 'smoke', 'get', 'secret', 'classified', '-o', 'jsonpath={.data.password}'])).toBe(Buffer.from('swordfish').toString('base64'));
    const key = await env.client.get<V1Secret>(resourcePath(secretResource, namespace, `${CP}-encryption`));
    expect(Buffer.from(key.data!.key1!, 'base64')).toHaveLength(32);
  });

  it('serves a certificate with the names and addresses clients use, and lets anonymous requests reach only health endpoints', async () => {
    const served = await sh(host, `openssl s_client -connect 127.0.0.1:6443 </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName`);
    for (const name of ['DNS:kubernetes', 'DNS:kubernetes.default.svc.cluster.local', 'IP Address:10.96.0.1', `IP Address:${host.address}`]) {
      expect(served).toContain(name);
    }
    const unit = await sh(host, 'cat /etc/systemd/system/kube-apiserver.service');
    for (const flag of ['--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--profiling=false', '--tls-min-version=VersionTLS12']) {
      expect(unit).toContain(flag);
    }
    // Every request so far went through the audit policy into the rotated log.
    expect(Number(await sh(host, 'wc -l < /var/log/kubernetes/audit/audit.log'))).toBeGreaterThan(0);
    const readyz = await host.run(`curl -s -o /dev/null -w '%{http_code}' --cacert ${PKI}/ca.crt https://${host.address}:6443/readyz`);
    expect(readyz.stdout).toBe('200');
    for (const path of ['/version', '/api/v1/namespaces', '/debug/pprof/']) {
      const anonymous = await host.run(`curl -s -o /dev/null -w '%{http_code}' --cacert ${PKI}/ca.crt https://${host.address}:6443${path}`);
      expect(anonymous.stdout, path).toBe('401');
    }
    const kubeconfigs = await sh(host, "stat -c '%a %n' /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf");
    expect(kubeconfigs.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['600', '600', '600', '600']);
    // admin.conf on the host holds cluster-admin through the kubeadm:cluster-admins binding.
    const admin = await kubectlWith(await sh(host, 'cat /etc/kubernetes/admin.conf'), ['auth', 'can-i', '*', '*', '--all-namespaces']);
    expect(admin.trim()).toBe('yes');
  });

  it('puts CAs in Secrets and certificates on the host that openssl verifies, with the SANs and usages of the plan', async () => {
    for (const suffix of ['ca', 'etcd', 'proxy', 'sa']) {
      const secret = await env.client.get<V1Secret>(resourcePath(secretResource, namespace, `${CP}-${suffix}`));
      expect(Object.keys(secret.data ?? {}).sort()).toEqual(['tls.crt', 'tls.key']);
    }
    const verify = await sh(
      host,
      `cd ${PKI} && openssl verify -CAfile ca.crt apiserver.crt apiserver-kubelet-client.crt && ` +
        'openssl verify -CAfile front-proxy-ca.crt front-proxy-client.crt && ' +
        'openssl verify -CAfile etcd/ca.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt apiserver-etcd-client.crt',
    );
    expect(verify.match(/: OK/g)).toHaveLength(7);
    const server = await sh(host, `openssl x509 -in ${PKI}/etcd/server.crt -noout -ext subjectAltName,extendedKeyUsage,keyUsage`);
    expect(server).toContain('DNS:cp-1');
    expect(server).toContain(`IP Address:${host.address}`);
    expect(server).toContain('IP Address:127.0.0.1');
    expect(server).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    const apiserver = await sh(host, `openssl x509 -in ${PKI}/apiserver.crt -noout -ext subjectAltName`);
    expect(apiserver).toContain('IP Address:10.96.0.1');
    expect(apiserver).toContain('DNS:kubernetes.default.svc.cluster.local');
    const modes = await sh(host, `find ${PKI} -type f -printf '%m %p\\n' | sort -k2`);
    for (const line of modes.trim().split('\n')) {
      const [mode, path] = line.split(' ');
      expect(`${mode} ${path}`).toBe(`${path!.endsWith('.key') ? '600' : '644'} ${path}`);
    }
    const cp = await getControlPlane(env.client, namespace, CP);
    const names = cp.status!.certificates!.map((c) => `${c.name}${c.host ? `@${c.host}` : ''}`);
    expect(names).toEqual(expect.arrayContaining(['ca', 'etcd/ca', 'front-proxy-ca', 'etcd/server@cp-1', 'etcd/peer@cp-1', 'apiserver@cp-1']));
    const serverExpiry = cp.status!.certificates!.find((c) => c.name === 'etcd/server')!.notAfter;
    const onHost = (await sh(host, `openssl x509 -in ${PKI}/etcd/server.crt -noout -enddate`)).trim().replace('notAfter=', '');
    expect(new Date(serverExpiry).getTime()).toBe(new Date(onHost).getTime());
  });

  it('changes nothing on a second reconcile', async () => {
    const files = `find /etc/kubernetes /usr/local/bin /etc/systemd/system /etc/etcd -type f -printf '%T@ %p\\n' | sort -k2`;
    const before = await sh(host, files);
    const pids = 'for u in etcd kube-apiserver kube-controller-manager kube-scheduler; do systemctl show -p MainPID --value $u; done';
    const pid = await sh(host, pids);
    const events = (await eventsFor(env.client, namespace, CP)).filter((e) => e.reason === 'HostChanged').length;
    await settle(env.pool, () => nudgeControlPlane(env.client, namespace, CP));
    expect(await sh(host, files)).toBe(before);
    expect(await sh(host, pids)).toBe(pid);
    expect((await eventsFor(env.client, namespace, CP)).filter((e) => e.reason === 'HostChanged').length).toBe(events);
    expect(events).toBeGreaterThan(10);
  });

  it('reports a component stopped behind its back, naming it, and starts it again', async () => {
    await sh(host, 'systemctl stop kube-scheduler');
    await nudgeControlPlane(env.client, namespace, CP);
    // The reconcile starts it again at once; what it saw on the way is in the Event it recorded.
    await waitFor('kube-scheduler started again', async () => (await host.run('systemctl is-active kube-scheduler')).stdout.trim() === 'active', 60_000, 200);
    // The Event is recorded when the reconcile that started it ends.
    await waitFor('an Event saying so', async () => (await eventsFor(env.client, namespace, CP)).some((e) => e.note === 'cp-1: started kube-scheduler'), 180_000, 200);
    const cp = await waitForControlPlane(env.client, namespace, CP, 'ControlPlaneComponentsHealthy', 'True');
    expect(cp.status?.readyReplicas).toBe(1);
  });

  it('reports a frozen component, naming it, and healthy again once it runs', async () => {
    // Frozen, it is still "active" to systemd and its unit is unchanged: only the health check sees it.
    await sh(host, 'kill -STOP $(systemctl show -p MainPID --value kube-scheduler)');
    try {
      await nudgeControlPlane(env.client, namespace, CP);
      const cp = await waitForControlPlane(env.client, namespace, CP, 'ControlPlaneComponentsHealthy', 'False', 'ComponentsUnhealthy');
      const message = cp.status!.conditions!.find((c) => c.type === 'ControlPlaneComponentsHealthy')!.message;
      expect(message).toContain('cp-1: kube-scheduler');
      expect(message).not.toContain('kube-apiserver');
      expect(cp.status?.readyReplicas).toBe(0);
      expect(cp.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ComponentsUnhealthy' });
      // Waiting on a component is progress, not something only a person can fix.
      expect(cp.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
    } finally {
      await sh(host, 'kill -CONT $(systemctl show -p MainPID --value kube-scheduler)');
    }
    await nudgeControlPlane(env.client, namespace, CP);
    expect((await waitForControlPlane(env.client, namespace, CP, 'ControlPlaneComponentsHealthy', 'True')).status?.readyReplicas).toBe(1);
  });

  it('reports a certificate with a wrong SAN put on the host, and leaves it as it is', async () => {
    const secret = await env.client.get<V1Secret>(resourcePath(secretResource, namespace, `${CP}-etcd`));
    const authority = await authorityFromSecret(kubeadmCertificateSet.authorities.find((a) => a.name === 'etcd/ca')!, secret);
    const spec = kubeadmCertificateSet.certificates.find((c) => c.name === 'etcd/server')!;
    const cluster = { name: CP, dnsDomain: 'cluster.local', serviceCIDR: '10.96.0.0/12', endpoint: { host: host.address, port: 6443 } };
    const forged = await issueCertificate(spec, { cluster, host: { name: 'cp-1', hostname: 'cp-1', ips: ['10.99.99.99'] } }, authority);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await sh(host, `echo ${b64(forged.certPem)} | base64 -d > ${PKI}/etcd/server.crt && echo ${b64(forged.keyPem)} | base64 -d > ${PKI}/etcd/server.key`);
    const sum = await sh(host, `sha256sum ${PKI}/etcd/server.crt ${PKI}/etcd/server.key`);
    await nudgeControlPlane(env.client, namespace, CP);
    const cp = await waitForControlPlane(env.client, namespace, CP, 'CertificatesReady', 'False', 'CertificateMismatch');
    const message = cp.status!.conditions!.find((c) => c.type === 'CertificatesReady')!.message;
    expect(message).toContain('etcd/server on cp-1');
    expect(message).toContain(host.address);
    expect(message).toContain('10.99.99.99');
    expect(cp.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'CertificateMismatch' });
    // Only a person can fix it: GitOps tools read it as failed, not as still in progress.
    expect(cp.status!.conditions!.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'CertificateMismatch' });
    expect(cp.status!.conditions!.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'False' });
    // Another reconcile, run to its end, leaves the files alone too.
    await settle(env.pool, () => nudgeControlPlane(env.client, namespace, CP));
    expect(await sh(host, `sha256sum ${PKI}/etcd/server.crt ${PKI}/etcd/server.key`)).toBe(sum);
  });

  it('on deletion takes down what it installed, keeps etcd data aside, gives the host back and lets the object go', async () => {
    await sh(host, `rm -f ${PKI}/etcd/server.crt ${PKI}/etcd/server.key`);
    await env.client.delete(resourcePath(controlPlaneResource, namespace, CP));
    await waitFor('the ControlPlane to be gone', async () => {
      try {
        await getControlPlane(env.client, namespace, CP);
        return false;
      } catch {
        return true;
      }
    }, 120_000, 200);
    await waitFor('cp-1 released', async () => !(await getMachineHost(env.client, namespace, 'cp-1')).status?.consumerRef, 30_000, 200);
    const active = await host.run('systemctl is-active etcd kube-apiserver kube-controller-manager kube-scheduler');
    expect(active.stdout.trim().split('\n')).toEqual(['inactive', 'inactive', 'inactive', 'inactive']);
    const left = await host.run(
      'ls /etc/systemd/system/etcd.service /etc/systemd/system/kube-apiserver.service /usr/local/bin/kube-apiserver /etc/kubernetes/admin.conf /etc/kubernetes/pki/ca.key /etc/kubernetes/encryption-config.yaml 2>&1',
    );
    expect(left.stdout.match(/No such file or directory/g)).toHaveLength(6);
    // The data is moved aside, never deleted.
    expect(await sh(host, 'ls -d /var/lib/etcd.removed-*/member')).toMatch(/\/var\/lib\/etcd\.removed-\d+\/member/);
  });
});

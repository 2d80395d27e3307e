import { describe, expect, it } from 'vitest';
import { ManagedFlagError } from '../../../../src/controllers/units/managed-flags.ts';
import { etcdBootstrapEnv, etcdUnit, etcdUnitFile, type EtcdMemberPlan } from '../../../../src/controllers/control-plane/etcd/unit.ts';

const plan: EtcdMemberPlan = { name: 'cp-1', ip: '10.0.0.11', dataDir: '/var/lib/etcd', clusterToken: 'default-demo' };

describe('etcdUnit', () => {
  it('runs etcd with client and peer TLS and certificate auth on both, listening on the host address and loopback', () => {
    expect(etcdUnit(plan)).toMatchInlineSnapshot(`
      "[Unit]
      Description=etcd member of the Kubernetes control plane (managed by kubesmith)
      Documentation=https://etcd.io/docs/
      After=network-online.target
      Wants=network-online.target

      [Service]
      Type=notify
      EnvironmentFile=-/etc/etcd/bootstrap.env
      ExecStart=/usr/local/bin/etcd \\
        --name=cp-1 \\
        --data-dir=/var/lib/etcd \\
        --listen-client-urls=https://10.0.0.11:2379,https://127.0.0.1:2379 \\
        --advertise-client-urls=https://10.0.0.11:2379 \\
        --listen-peer-urls=https://10.0.0.11:2380 \\
        --initial-advertise-peer-urls=https://10.0.0.11:2380 \\
        --initial-cluster-token=default-demo \\
        --listen-metrics-urls=http://127.0.0.1:2381 \\
        --cert-file=/etc/kubernetes/pki/etcd/server.crt \\
        --key-file=/etc/kubernetes/pki/etcd/server.key \\
        --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt \\
        --client-cert-auth=true \\
        --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt \\
        --peer-key-file=/etc/kubernetes/pki/etcd/peer.key \\
        --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt \\
        --peer-client-cert-auth=true \\
        --snapshot-count=10000
      Restart=always
      RestartSec=5s
      LimitNOFILE=65536

      [Install]
      WantedBy=multi-user.target
      "
    `);
  });

  it('brackets IPv6 addresses in URLs and appends extra flags in a stable order', () => {
    const unit = etcdUnit({ ...plan, ip: 'fd00::11', extraArgs: { 'quota-backend-bytes': '8589934592', 'auto-compaction-retention': '8' } });
    expect(unit).toContain('--advertise-client-urls=https://[fd00::11]:2379');
    expect(unit.indexOf('--auto-compaction-retention=8')).toBeLessThan(unit.indexOf('--quota-backend-bytes=8589934592'));
  });

  it('refuses extra flags that kubesmith manages, naming each', () => {
    expect(() => etcdUnit({ ...plan, extraArgs: { 'client-cert-auth': 'false', 'initial-cluster': 'x=y' } })).toThrow(ManagedFlagError);
    expect(() => etcdUnit({ ...plan, extraArgs: { 'client-cert-auth': 'false', 'initial-cluster': 'x=y' } })).toThrow(
      'spec.etcd.extraArgs sets client-cert-auth, initial-cluster, which kubesmith manages itself; remove them',
    );
  });
});

describe('etcdUnitFile', () => {
  it('is the unit, readable by root only as CIS 1.1.7 asks of the file holding etcd\'s flags', () => {
    expect(etcdUnitFile(plan)).toEqual({ path: '/etc/systemd/system/etcd.service', mode: 0o600, content: etcdUnit(plan) });
  });
});

describe('etcdBootstrapEnv', () => {
  it('names the initial cluster and whether it is new', () => {
    const env = etcdBootstrapEnv([{ name: 'cp-1', peerURL: 'https://10.0.0.11:2380' }, { name: 'cp-2', peerURL: 'https://10.0.0.12:2380' }], 'existing');
    expect(env).toBe('ETCD_INITIAL_CLUSTER=cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380\nETCD_INITIAL_CLUSTER_STATE=existing\n');
  });
});

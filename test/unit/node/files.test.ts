import { describe, expect, it } from 'vitest';
import { nodeFiles } from '../../../src/controllers/node/files.ts';
import { plan } from './fixtures.ts';

describe('nodeFiles', () => {
  it("gives the kubelet's unit and config to root only (CIS 4.1.1, 4.1.9), the others readable by all", () => {
    const files = nodeFiles(plan({ registryMirrors: [{ registry: 'docker.io', endpoints: ['https://mirror.example.com'] }] }), '/etc/resolv.conf');
    expect(files.map((f) => [f.path, f.mode])).toEqual([
      ['/etc/containerd/config.toml', 0o644],
      ['/etc/containerd/certs.d/docker.io/hosts.toml', 0o644],
      ['/etc/systemd/system/containerd.service', 0o644],
      ['/var/lib/kubelet/config.yaml', 0o600],
      ['/etc/systemd/system/kubelet.service', 0o600],
      ['/var/lib/kube-proxy/config.yaml', 0o644],
      ['/etc/systemd/system/kube-proxy.service', 0o644],
    ]);
  });
});

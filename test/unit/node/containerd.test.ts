import { describe, expect, it } from 'vitest';
import { containerdConfig, registryHostsFiles, sandboxImage } from '../../../src/controllers/node/containerd.ts';
import { containerdUnit } from '../../../src/controllers/node/containerd-unit.ts';
import { PAUSE_TAG } from '../../../src/controllers/node/versions.ts';

describe('containerd configuration', () => {
  it('takes the sandbox image from spec.imageRepository and uses the systemd cgroup driver', () => {
    const config = containerdConfig({ imageRepository: 'registry.example.com/k8s/', registryMirrors: [], inContainer: false });
    expect(sandboxImage('registry.example.com/k8s/')).toBe(`registry.example.com/k8s/pause:${PAUSE_TAG}`);
    expect(config).toContain(`sandbox = "registry.example.com/k8s/pause:${PAUSE_TAG}"`);
    expect(config).toContain('SystemdCgroup = true');
    expect(config).toContain('config_path = "/etc/containerd/certs.d"');
    expect(config.split('\n')[1]).toBe('version = 3');
  });

  it('restricts oom_score_adj only on a host that is a container', () => {
    expect(containerdConfig({ imageRepository: 'r', registryMirrors: [], inContainer: true })).toContain('restrict_oom_score_adj = true');
    expect(containerdConfig({ imageRepository: 'r', registryMirrors: [], inContainer: false })).toContain('restrict_oom_score_adj = false');
    // Shims and their containers outlive a restart of containerd.
    expect(containerdUnit()).toContain('KillMode=process');
  });

  it('writes one hosts.toml per mirrored registry, mirrors first in the order given', () => {
    const files = registryHostsFiles([
      { registry: 'docker.io', endpoints: ['http://10.0.0.1:5000', 'https://mirror.example.com'] },
      { registry: 'quay.io', endpoints: ['https://quay-mirror.example.com'] },
    ]);
    expect(files.map((f) => f.path)).toEqual(['/etc/containerd/certs.d/docker.io/hosts.toml', '/etc/containerd/certs.d/quay.io/hosts.toml']);
    const docker = String(files[0]!.content);
    expect(docker).toContain('server = "https://registry-1.docker.io"');
    expect(docker.indexOf('[host."http://10.0.0.1:5000"]')).toBeGreaterThan(0);
    expect(docker.indexOf('[host."http://10.0.0.1:5000"]')).toBeLessThan(docker.indexOf('[host."https://mirror.example.com"]'));
    expect(String(files[1]!.content)).toContain('server = "https://quay.io"');
  });
});

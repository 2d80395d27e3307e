// containerd's configuration, generated whole from the ControlPlane so that an edit on the host is
// drift to correct, not a setting to keep: the systemd cgroup driver (the kubelet's), the sandbox
// image from spec.imageRepository, and one hosts.toml per spec.registryMirrors entry.
import type { ControlPlane } from '../../api/index.ts';
import type { FileSpec } from '../../host/index.ts';
import { NODE_PATHS } from './paths.ts';
import { PAUSE_TAG } from './versions.ts';

export interface ContainerdInput {
  imageRepository: string;
  registryMirrors: NonNullable<ControlPlane['spec']['registryMirrors']>;
  /**
   * The host is a container (systemd-detect-virt --container): it lacks CAP_SYS_RESOURCE, so runc
   * must not raise a container's oom_score_adj above its own ("can't get final child's PID from pipe").
   */
  inContainer: boolean;
}

const tomlString = (value: string) => JSON.stringify(value);

export function sandboxImage(imageRepository: string): string {
  return `${imageRepository.replace(/\/+$/, '')}/pause:${PAUSE_TAG}`;
}

/** Config version 3 (containerd 2.x); only what differs from containerd's defaults. */
export function containerdConfig(input: ContainerdInput): string {
  const cri = "plugins.'io.containerd.cri.v1.runtime'";
  const images = "plugins.'io.containerd.cri.v1.images'";
  return [
    '# Written by kubesmith from the ControlPlane spec; local edits are replaced.',
    'version = 3',
    '',
    `[${images}.pinned_images]`,
    `  sandbox = ${tomlString(sandboxImage(input.imageRepository))}`,
    '',
    `[${images}.registry]`,
    `  config_path = ${tomlString(NODE_PATHS.containerdHostsDir)}`,
    '',
    `[${cri}]`,
    `  restrict_oom_score_adj = ${input.inContainer}`,
    '',
    `[${cri}.cni]`,
    `  bin_dirs = [${tomlString(NODE_PATHS.cniBinDir)}]`,
    `  conf_dir = ${tomlString(NODE_PATHS.cniConfDir)}`,
    '',
    `[${cri}.containerd.runtimes.runc]`,
    "  runtime_type = 'io.containerd.runc.v2'",
    '',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = true',
    '',
  ].join('\n');
}

/** Docker Hub's images are served from registry-1.docker.io, which containerd does not infer. */
function upstreamServer(registry: string): string {
  return registry === 'docker.io' ? 'https://registry-1.docker.io' : `https://${registry}`;
}

/** `certs.d/<registry>/hosts.toml`: the mirrors first, in order; the registry itself after them. */
export function registryHostsFiles(mirrors: ContainerdInput['registryMirrors']): FileSpec[] {
  return mirrors.map(({ registry, endpoints }) => ({
    path: `${NODE_PATHS.containerdHostsDir}/${registry}/hosts.toml`,
    mode: 0o644,
    content: [
      '# Written by kubesmith from spec.registryMirrors.',
      `server = ${tomlString(upstreamServer(registry))}`,
      ...endpoints.flatMap((endpoint) => ['', `[host.${tomlString(endpoint)}]`, "  capabilities = ['pull', 'resolve']"]),
      '',
    ].join('\n'),
  }));
}

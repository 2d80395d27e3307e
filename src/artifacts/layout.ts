// Where each artifact lives on an upstream-shaped mirror, so copying upstream's release directories
// onto a mirror is all it takes.
//
// etcd publishes a tarball per release and architecture,
// `<download>/<version>/etcd-<version>-linux-<arch>.tar.gz`, beside one `SHA256SUMS` for the
// directory; a mirror keeps that layout under `<spec.artifacts.baseURL>/etcd`.
//
// containerd, runc and the CNI plugins publish GitHub releases: a tarball with a `.sha256sum`
// beside it (containerd), one binary per architecture with a `runc.sha256sum` list (runc), and a
// tarball with a `.sha256` (CNI plugins); a mirror keeps the `<owner>/<repo>/releases/download/`
// paths under the base URL.
//
// Kubernetes publishes each binary on its own, `<base>/release/<version>/bin/linux/<arch>/<name>`,
// beside a `<name>.sha256` holding its digest; a mirror keeps that layout under the base URL itself.

/** Upstream download base of etcd releases, used when the ControlPlane names no mirror. */
export const ETCD_UPSTREAM = 'https://github.com/etcd-io/etcd/releases/download';

/** Upstream download base of Kubernetes releases, used when the ControlPlane names no mirror. */
export const KUBERNETES_UPSTREAM = 'https://dl.k8s.io';

export interface ArchiveMember {
  /** Path inside the archive. */
  member: string;
  /** Where it goes on a host. */
  path: string;
  mode: number;
}

interface RefBase {
  /** A name for messages and the cache, for example `etcd-v3.6.16-linux-amd64.tar.gz`. */
  name: string;
  url: string;
  sumsUrl: string;
}

/** A tarball whose members are installed; `sumsUrl` is a SHA256SUMS list with a line for `name`. */
export interface ArchiveRef extends RefBase {
  kind: 'archive';
  members: ArchiveMember[];
}

/** One file installed as it is; `sumsUrl` holds its digest alone, or a list with a line for `sumsEntry`. */
export interface FileRef extends RefBase {
  kind: 'file';
  /** The file's name in a SHA256SUMS-style list, for releases that publish one list (runc). */
  sumsEntry?: string;
  /** Where it goes on a host. */
  path: string;
  mode: number;
}

export type ArtifactRef = ArchiveRef | FileRef;

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The etcd server and etcdctl of one release for one architecture. */
export function etcdRelease(baseURL: string | undefined, version: string, arch: string): ArchiveRef {
  const base = baseURL ? `${trimSlash(baseURL)}/etcd` : ETCD_UPSTREAM;
  const dir = `etcd-${version}-linux-${arch}`;
  const name = `${dir}.tar.gz`;
  return {
    kind: 'archive',
    name,
    url: `${base}/${version}/${name}`,
    sumsUrl: `${base}/${version}/SHA256SUMS`,
    members: [
      { member: `${dir}/etcd`, path: '/usr/local/bin/etcd', mode: 0o755 },
      { member: `${dir}/etcdctl`, path: '/usr/local/bin/etcdctl', mode: 0o755 },
    ],
  };
}

/** One binary of a Kubernetes release, such as `kube-apiserver` or `kubectl`, for one architecture. */
export function kubernetesBinary(baseURL: string | undefined, version: string, arch: string, name: string): FileRef {
  const url = `${baseURL ? trimSlash(baseURL) : KUBERNETES_UPSTREAM}/release/${version}/bin/linux/${arch}/${name}`;
  return { kind: 'file', name, url, sumsUrl: `${url}.sha256`, path: `/usr/local/bin/${name}`, mode: 0o755 };
}

/** Upstream download base of GitHub releases (containerd, runc, CNI plugins). */
export const GITHUB_UPSTREAM = 'https://github.com';

function githubRelease(baseURL: string | undefined, repo: string, tag: string): string {
  return `${baseURL ? trimSlash(baseURL) : GITHUB_UPSTREAM}/${repo}/releases/download/${tag}`;
}

/** containerd, its runc shim and ctr; `version` without the leading v, as containerd names its files. */
export function containerdRelease(baseURL: string | undefined, version: string, arch: string): ArchiveRef {
  const name = `containerd-${version}-linux-${arch}.tar.gz`;
  const url = `${githubRelease(baseURL, 'containerd/containerd', `v${version}`)}/${name}`;
  return {
    kind: 'archive',
    name,
    url,
    sumsUrl: `${url}.sha256sum`,
    members: ['containerd', 'containerd-shim-runc-v2', 'ctr'].map((bin) => ({ member: `bin/${bin}`, path: `/usr/local/bin/${bin}`, mode: 0o755 })),
  };
}

export function runcBinary(baseURL: string | undefined, version: string, arch: string): FileRef {
  const base = githubRelease(baseURL, 'opencontainers/runc', `v${version}`);
  return { kind: 'file', name: `runc.${arch}`, url: `${base}/runc.${arch}`, sumsUrl: `${base}/runc.sha256sum`, sumsEntry: `runc.${arch}`, path: '/usr/local/sbin/runc', mode: 0o755 };
}

/** The CNI plugins a node needs from the upstream bundle, installed in /opt/cni/bin. */
export function cniPlugins(baseURL: string | undefined, version: string, arch: string, plugins: readonly string[]): ArchiveRef {
  const name = `cni-plugins-linux-${arch}-v${version}.tgz`;
  const url = `${githubRelease(baseURL, 'containernetworking/plugins', `v${version}`)}/${name}`;
  return { kind: 'archive', name, url, sumsUrl: `${url}.sha256`, members: plugins.map((p) => ({ member: p, path: `/opt/cni/bin/${p}`, mode: 0o755 })) };
}

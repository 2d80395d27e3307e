// Where each artifact lives on an upstream-shaped mirror. etcd's releases are published as
// `<download>/<version>/etcd-<version>-linux-<arch>.tar.gz` beside a `SHA256SUMS` file of the same
// directory; a mirror keeps that layout under `<spec.artifacts.baseURL>/etcd`, so copying the
// upstream release directories onto it is all it takes.

/** Upstream download base of etcd releases, used when the ControlPlane names no mirror. */
export const ETCD_UPSTREAM = 'https://github.com/etcd-io/etcd/releases/download';

export interface ArchiveMember {
  /** Path inside the archive. */
  member: string;
  /** Where it goes on a host. */
  path: string;
  mode: number;
}

export interface ArtifactRef {
  /** A name for messages and the cache, for example `etcd-v3.6.16-linux-amd64.tar.gz`. */
  name: string;
  url: string;
  /** The file publishing the artifact's SHA-256, keyed by `name`. */
  sumsUrl: string;
  /** Files taken out of the archive and installed. */
  members: ArchiveMember[];
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The etcd server and etcdctl of one release for one architecture. */
export function etcdRelease(baseURL: string | undefined, version: string, arch: string): ArtifactRef {
  const base = baseURL ? `${trimSlash(baseURL)}/etcd` : ETCD_UPSTREAM;
  const dir = `etcd-${version}-linux-${arch}`;
  const name = `${dir}.tar.gz`;
  return {
    name,
    url: `${base}/${version}/${name}`,
    sumsUrl: `${base}/${version}/SHA256SUMS`,
    members: [
      { member: `${dir}/etcd`, path: '/usr/local/bin/etcd', mode: 0o755 },
      { member: `${dir}/etcdctl`, path: '/usr/local/bin/etcdctl', mode: 0o755 },
    ],
  };
}

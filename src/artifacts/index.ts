export { ArtifactCache, DownloadCounters, processDownloads, type Artifact, type ArtifactCacheOptions, type ArtifactFile, type ChecksumPolicy } from './cache.ts';
export { parseSha256File, parseSha256Sums } from './checksums.ts';
export * from './errors.ts';
export {
  ETCD_UPSTREAM,
  etcdRelease,
  KUBERNETES_UPSTREAM,
  kubernetesBinary,
  containerdRelease,
  runcBinary,
  cniPlugins,
  GITHUB_UPSTREAM,
  type ArchiveMember,
  type ArchiveRef,
  type ArtifactRef,
  type FileRef,
} from './layout.ts';
export { pushArtifact } from './push.ts';
export { readTar, type TarMember, type TarSink } from './tar.ts';

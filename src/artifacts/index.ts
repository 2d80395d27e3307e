export { ArtifactCache, type Artifact, type ArtifactCacheOptions, type ChecksumPolicy, type UnpackedFile } from './cache.ts';
export { parseSha256Sums } from './checksums.ts';
export * from './errors.ts';
export { ETCD_UPSTREAM, etcdRelease, type ArchiveMember, type ArtifactRef } from './layout.ts';
export { pushArtifact } from './push.ts';
export { readTar, type TarEntry } from './tar.ts';

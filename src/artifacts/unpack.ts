// Takes an archive artifact's members out of its verified tarball into the cache. The tarball is
// small enough (a few tens of MB) to read whole; each member is written beside it and hashed, so a
// push compares it with the host's copy.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { ArtifactFile } from './cache.ts';
import { ArchiveContentError } from './errors.ts';
import { sha256Of } from './sha256.ts';
import type { ArchiveRef } from './layout.ts';
import { readTar } from './tar.ts';

const gunzipAsync = promisify(gunzip);

/** Replaces `dir` with the members of the tarball at `archivePath`. */
export async function unpack(ref: ArchiveRef, archivePath: string, dir: string): Promise<ArtifactFile[]> {
  let entries;
  try {
    const tar = await gunzipAsync(await readFile(archivePath));
    const wanted = new Set(ref.members.map((m) => m.member));
    entries = readTar(tar, (path) => wanted.has(path.replace(/^\.\//, '')));
  } catch (error) {
    throw new ArchiveContentError(ref.url, `${ref.name} is not a readable .tar.gz (${(error as Error).message}); replace it on the mirror`, { cause: error });
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: ArtifactFile[] = [];
  for (const member of ref.members) {
    const entry = entries.find((e) => e.path === member.member);
    if (!entry) {
      throw new ArchiveContentError(ref.url, `${ref.name} has no ${member.member}; it is not the release kubesmith expects`);
    }
    const localPath = join(dir, basename(member.member));
    await writeFile(localPath, entry.content, { mode: 0o755 });
    files.push({ path: member.path, mode: member.mode, sha256: sha256Of(entry.content), localPath });
  }
  return files;
}

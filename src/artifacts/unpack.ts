// Takes an archive artifact's members out of its verified tarball into the cache, as a stream:
// gunzip, tar and the writes go chunk by chunk, and each member is hashed as it is written, so a
// push compares it with the host's copy.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ArtifactFile } from './cache.ts';
import { ArchiveContentError } from './errors.ts';
import type { ArchiveMember, ArchiveRef } from './layout.ts';
import { readTar, type TarSink } from './tar.ts';

/** Bigger than zlib's 16 KiB default: a 100 MiB binary in fewer, larger writes. */
const CHUNK_BYTES = 256 * 1024;

/** Replaces `dir` with the members of the tarball at `archivePath`. */
export async function unpack(ref: ArchiveRef, archivePath: string, dir: string): Promise<ArtifactFile[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const waiting = new Map(ref.members.map((m) => [m.member, m]));
  const files = new Map<ArchiveMember, ArtifactFile>();
  const opened: Promise<FileHandle>[] = [];
  /** A failure to write the cache is the operator's disk, not the archive: it is passed on as it is. */
  let localError: unknown;

  const sinkFor = (member: ArchiveMember): TarSink => {
    const localPath = join(dir, basename(member.member));
    const hash = createHash('sha256');
    const file = open(localPath, 'w', 0o755);
    // Awaited by the first write; an archive that breaks before then must not leave it unhandled.
    file.catch(() => undefined);
    opened.push(file);
    const local = async <T>(step: () => Promise<T>): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        localError ??= error;
        throw error;
      }
    };
    return {
      write: (chunk) =>
        local(async () => {
          hash.update(chunk);
          await (await file).write(chunk);
        }),
      end: () =>
        local(async () => {
          await (await file).close();
          files.set(member, { path: member.path, mode: member.mode, sha256: hash.digest('hex'), localPath });
        }),
    };
  };

  try {
    await pipeline(createReadStream(archivePath), createGunzip({ chunkSize: CHUNK_BYTES }), (gunzipped: AsyncIterable<Buffer>) =>
      readTar(gunzipped, ({ path }) => {
        const member = waiting.get(path);
        if (!member) return undefined;
        // A path the archive holds twice is taken once, the first time.
        waiting.delete(path);
        return sinkFor(member);
      }),
    );
  } catch (error) {
    if (error === localError) throw error;
    throw new ArchiveContentError(ref.url, `${ref.name} is not a readable .tar.gz (${(error as Error).message}); replace it on the mirror`, {
      cause: error,
    });
  } finally {
    // A member cut short leaves its file open; closing twice is harmless.
    await Promise.all(opened.map((file) => file.then((handle) => handle.close()).catch(() => undefined)));
  }
  const missing = ref.members.find((m) => !files.has(m));
  if (missing) throw new ArchiveContentError(ref.url, `${ref.name} has no ${missing.member}; it is not the release kubesmith expects`);
  return ref.members.map((m) => files.get(m)!);
}

// Downloads each artifact once into a cache directory, checks it against its published SHA-256
// before anything reads it, and unpacks the files to install beside it. Hosts never reach the
// mirror: the operator pushes what it verified over SSH (push.ts).
//
// The tarball is unpacked here rather than streamed to hosts so that each binary is compared with
// the host's copy by hash: a second push costs one round trip and writes nothing, hosts need no tar
// or gzip, and what lands on a host is exactly what was verified. The price is sending the binaries
// uncompressed the first time.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { parseSha256Sums } from './checksums.ts';
import { ArchiveContentError, ChecksumMismatchError, ChecksumMissingError, DownloadFailedError } from './errors.ts';
import type { ArtifactRef } from './layout.ts';
import { readTar } from './tar.ts';

export type ChecksumPolicy = 'Required' | 'Skip';

export interface UnpackedFile {
  /** Where it goes on a host. */
  path: string;
  mode: number;
  sha256: string;
  /** Where the verified copy is in the cache. */
  localPath: string;
}

export interface Artifact {
  ref: ArtifactRef;
  /** SHA-256 of the downloaded archive. */
  sha256: string;
  /** Whether the SHA-256 was checked against a published one (false only under policy Skip). */
  verified: boolean;
  files: UnpackedFile[];
}

export interface ArtifactCacheOptions {
  /** Cache directory; $KUBESMITH_ARTIFACT_CACHE, else `<os temp dir>/kubesmith-artifacts`. */
  dir?: string;
  timeoutMs?: number;
}

const gunzipAsync = promisify(gunzip);

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fetchBytes(url: string, timeoutMs: number): Promise<Buffer | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new DownloadFailedError(url, `could not download ${url}: ${(error as Error).message}; check that the mirror is up and reachable from the operator`, { cause: error });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new DownloadFailedError(url, `${url} answered HTTP ${response.status}; check the mirror and spec.artifacts.baseURL`);
  }
  return Buffer.from(await response.arrayBuffer());
}

export class ArtifactCache {
  readonly dir: string;
  readonly #timeoutMs: number;
  /** Artifacts verified by this process, by URL; a failed attempt is forgotten so the next retries. */
  readonly #ready = new Map<string, Promise<Artifact>>();

  constructor(options: ArtifactCacheOptions = {}) {
    this.dir = options.dir ?? process.env.KUBESMITH_ARTIFACT_CACHE ?? join(tmpdir(), 'kubesmith-artifacts');
    this.#timeoutMs = options.timeoutMs ?? 10 * 60_000;
  }

  /** The verified, unpacked artifact: downloaded the first time, from the cache after. */
  get(ref: ArtifactRef, policy: ChecksumPolicy): Promise<Artifact> {
    const key = `${policy} ${ref.url}`;
    let ready = this.#ready.get(key);
    if (!ready) {
      ready = this.#prepare(ref, policy);
      this.#ready.set(key, ready);
      ready.catch(() => this.#ready.delete(key));
    }
    return ready;
  }

  async #expectedSum(ref: ArtifactRef, policy: ChecksumPolicy): Promise<string | undefined> {
    const sums = await fetchBytes(ref.sumsUrl, this.#timeoutMs);
    const expected = sums && parseSha256Sums(sums.toString('utf8')).get(ref.name);
    if (!expected && policy === 'Required') {
      const why = sums ? `${ref.sumsUrl} has no line for ${ref.name}` : `${ref.sumsUrl} does not exist`;
      throw new ChecksumMissingError(
        ref.url,
        `${why}, and spec.artifacts.checksumPolicy is Required, so ${ref.name} was not used; publish its SHA-256 there`,
      );
    }
    return expected;
  }

  async #prepare(ref: ArtifactRef, policy: ChecksumPolicy): Promise<Artifact> {
    // Under Skip a sum that is published is still checked: a corrupt download is never useful.
    const expected = await this.#expectedSum(ref, policy);
    const dir = join(this.dir, sha256(Buffer.from(ref.url)).slice(0, 16));
    const archivePath = join(dir, ref.name);
    let archive: Buffer | undefined = await readFile(archivePath).catch(() => undefined);
    // A cached copy is used only if it still has the published sum; otherwise it is fetched again.
    if (!archive || (expected && sha256(archive) !== expected)) {
      archive = await fetchBytes(ref.url, this.#timeoutMs);
      if (!archive) throw new DownloadFailedError(ref.url, `${ref.url} does not exist (HTTP 404); check the version and spec.artifacts.baseURL`);
      const found = sha256(archive);
      if (expected && found !== expected) throw new ChecksumMismatchError(ref.url, expected, found, ref.sumsUrl);
      await mkdir(dir, { recursive: true });
      await writeFile(`${archivePath}.part`, archive);
      await rename(`${archivePath}.part`, archivePath);
    }
    const files = await this.#unpack(ref, archive, join(dir, 'unpacked'));
    return { ref, sha256: sha256(archive), verified: expected !== undefined, files };
  }

  async #unpack(ref: ArtifactRef, archive: Buffer, dir: string): Promise<UnpackedFile[]> {
    let entries;
    try {
      const tar = await gunzipAsync(archive);
      const wanted = new Set(ref.members.map((m) => m.member));
      entries = readTar(tar, (path) => wanted.has(path.replace(/^\.\//, '')));
    } catch (error) {
      throw new ArchiveContentError(ref.url, `${ref.name} is not a readable .tar.gz (${(error as Error).message}); replace it on the mirror`, { cause: error });
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const files: UnpackedFile[] = [];
    for (const member of ref.members) {
      const entry = entries.find((e) => e.path === member.member);
      if (!entry) {
        throw new ArchiveContentError(ref.url, `${ref.name} has no ${member.member}; it is not the release kubesmith expects`);
      }
      const localPath = join(dir, basename(member.member));
      await writeFile(localPath, entry.content, { mode: 0o755 });
      files.push({ path: member.path, mode: member.mode, sha256: sha256(entry.content), localPath });
    }
    return files;
  }
}

// Downloads each artifact once into a cache directory, checks it against its published SHA-256
// before anything reads it, and for a tarball unpacks the files to install beside it. Hosts never
// reach the mirror: the operator pushes what it verified over SSH (push.ts).
//
// A tarball is unpacked here rather than streamed to hosts so that each binary is compared with
// the host's copy by hash: a second push costs one round trip and writes nothing, hosts need no tar
// or gzip, and what lands on a host is exactly what was verified. The price is sending the binaries
// uncompressed the first time.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusyTime } from '../host/counters.ts';
import { parseSha256File, parseSha256Sums } from './checksums.ts';
import { download, fetchText } from './download.ts';
import { ChecksumMissingError } from './errors.ts';
import type { ArtifactRef } from './layout.ts';
import { sha256Of, sha256OfFile } from './sha256.ts';
import { unpack } from './unpack.ts';

export type ChecksumPolicy = 'Required' | 'Skip';

/** A file to install from an artifact. */
export interface ArtifactFile {
  /** Where it goes on a host. */
  path: string;
  mode: number;
  sha256: string;
  /** Where the verified copy is in the cache. */
  localPath: string;
}

export interface Artifact {
  ref: ArtifactRef;
  /** SHA-256 of the downloaded file. */
  sha256: string;
  /** Whether the SHA-256 was checked against a published one (false only under policy Skip). */
  verified: boolean;
  files: ArtifactFile[];
}

/** What fetching from the mirror cost: sum files and artifacts, their time, and the bytes received. */
export class DownloadCounters {
  readonly time = new BusyTime();
  bytes = 0;
}

/** Every ArtifactCache's fetches that were not given counters of their own. */
export const processDownloads = new DownloadCounters();

export interface ArtifactCacheOptions {
  /** Cache directory; $KUBESMITH_ARTIFACT_CACHE, else `<os temp dir>/kubesmith-artifacts`. */
  dir?: string;
  timeoutMs?: number;
  /** Where fetches are counted; processDownloads by default. */
  counters?: DownloadCounters;
}

export class ArtifactCache {
  readonly dir: string;
  readonly counters: DownloadCounters;
  readonly #timeoutMs: number;
  /** Artifacts verified by this process, by URL; a failed attempt is forgotten so the next retries. */
  readonly #ready = new Map<string, Promise<Artifact>>();

  constructor(options: ArtifactCacheOptions = {}) {
    this.dir = options.dir ?? process.env.KUBESMITH_ARTIFACT_CACHE ?? join(tmpdir(), 'kubesmith-artifacts');
    this.#timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.counters = options.counters ?? processDownloads;
  }

  /** The verified artifact: downloaded (and unpacked) the first time, from the cache after. */
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
    const sums = await this.counters.time.time(() => fetchText(ref.sumsUrl, this.#timeoutMs));
    this.counters.bytes += Buffer.byteLength(sums ?? '');
    if (sums === undefined) return this.#missingSum(ref, policy, `${ref.sumsUrl} does not exist`);
    if (ref.kind === 'file' && !ref.sumsEntry) return parseSha256File(sums) ?? this.#missingSum(ref, policy, `${ref.sumsUrl} holds no SHA-256`);
    const entry = (ref.kind === 'file' ? ref.sumsEntry : undefined) ?? ref.name;
    return parseSha256Sums(sums).get(entry) ?? this.#missingSum(ref, policy, `${ref.sumsUrl} has no line for ${entry}`);
  }

  #missingSum(ref: ArtifactRef, policy: ChecksumPolicy, why: string): undefined {
    if (policy === 'Skip') return undefined;
    throw new ChecksumMissingError(
      ref.url,
      `${why}, and spec.artifacts.checksumPolicy is Required, so ${ref.name} was not used; publish its SHA-256 there`,
    );
  }

  async #prepare(ref: ArtifactRef, policy: ChecksumPolicy): Promise<Artifact> {
    // Under Skip a sum that is published is still checked: a corrupt download is never useful.
    const expected = await this.#expectedSum(ref, policy);
    const dir = join(this.dir, sha256Of(ref.url).slice(0, 16));
    const localPath = join(dir, ref.name);
    // A cached copy is used only if it still has the published sum; otherwise it is fetched again.
    const cached = await sha256OfFile(localPath).catch(() => undefined);
    const sha256 = cached && (!expected || cached === expected) ? cached : await this.#download(ref, expected, localPath);
    const files =
      ref.kind === 'file' ? [{ path: ref.path, mode: ref.mode, sha256, localPath }] : await unpack(ref, localPath, join(dir, 'unpacked'));
    return { ref, sha256, verified: expected !== undefined, files };
  }

  async #download(ref: ArtifactRef, expected: string | undefined, localPath: string): Promise<string> {
    const { sha256, bytes } = await this.counters.time.time(() => download(ref, expected, localPath, this.#timeoutMs));
    this.counters.bytes += bytes;
    return sha256;
  }
}

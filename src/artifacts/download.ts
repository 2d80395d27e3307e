// HTTP from the mirror. Sum files are small and read whole. Artifacts go straight to disk, hashed on
// the way, so a binary of 100 MB is never held in memory; they take their name in the cache only once
// the hash matches the published one, so whatever is there was complete when it was verified.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChecksumMismatchError, DownloadFailedError } from './errors.ts';
import type { ArtifactRef } from './layout.ts';

function unreachable(url: string, error: unknown): DownloadFailedError {
  const message = `could not download ${url}: ${(error as Error).message}; check that the mirror is up and reachable from the operator`;
  return new DownloadFailedError(url, message, { cause: error });
}

/** The response, or undefined for HTTP 404, which callers word for what was missing. */
async function request(url: string, timeoutMs: number): Promise<Response | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw unreachable(url, error);
  }
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new DownloadFailedError(url, `${url} answered HTTP ${response.status}; check the mirror and spec.artifacts.baseURL`);
  }
  return response;
}

/** A small file's text, or undefined when the mirror does not have it. */
export async function fetchText(url: string, timeoutMs: number): Promise<string | undefined> {
  const response = await request(url, timeoutMs);
  try {
    return await response?.text();
  } catch (error) {
    throw unreachable(url, error);
  }
}

/**
 * Downloads `ref` to `dest` and returns its SHA-256 and size. With `expected`, a file with another
 * hash is refused and nothing is left behind.
 */
export async function download(ref: ArtifactRef, expected: string | undefined, dest: string, timeoutMs: number): Promise<{ sha256: string; bytes: number }> {
  const response = await request(ref.url, timeoutMs);
  if (!response) throw new DownloadFailedError(ref.url, `${ref.url} does not exist (HTTP 404); check the version and spec.artifacts.baseURL`);
  await mkdir(dirname(dest), { recursive: true });
  // A name of its own, so two downloads of one artifact (policies Required and Skip) never share a file.
  const part = `${dest}.${randomBytes(4).toString('hex')}.part`;
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        response.body ? Readable.fromWeb(response.body) : Readable.from([]),
        async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            yield chunk;
          }
        },
        createWriteStream(part),
      );
    } catch (error) {
      const message = `the download of ${ref.url} stopped: ${(error as Error).message}; check that the mirror is up and that ${dirname(dest)} has room`;
      throw new DownloadFailedError(ref.url, message, { cause: error });
    }
    const found = hash.digest('hex');
    if (expected && found !== expected) throw new ChecksumMismatchError(ref.url, expected, found, ref.sumsUrl);
    await rename(part, dest);
    return { sha256: found, bytes };
  } finally {
    await rm(part, { force: true });
  }
}

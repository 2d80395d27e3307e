// What the artifact cache counts of its fetches from a real HTTP mirror on 127.0.0.1.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache, DownloadCounters, kubernetesBinary, processDownloads } from '../../../src/artifacts/index.ts';
import { startArtifactMirror, type ArtifactMirror } from '../../support/artifact-mirror.ts';

let mirror: ArtifactMirror;
const scratch = mkdtempSync(join(tmpdir(), 'download-counters-test-'));
const tempDir = (prefix: string) => mkdtempSync(join(scratch, prefix));

/** Publishes kubectl of release `version`, `size` bytes, with its digest file; returns the digest file's length. */
function publish(version: string, size: number): number {
  const content = Buffer.alloc(size, 7);
  const dir = join(mirror.root, 'release', version, 'bin', 'linux', 'amd64');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kubectl'), content);
  const sums = `${createHash('sha256').update(content).digest('hex')}\n`;
  writeFileSync(join(dir, 'kubectl.sha256'), sums);
  return sums.length;
}

beforeAll(async () => {
  mirror = await startArtifactMirror(tempDir('mirror-'));
});
afterAll(async () => {
  await mirror.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the counters of an ArtifactCache', () => {
  it('count each fetch (sum file and artifact), its time and the bytes received; a cached copy costs only its sum file', async () => {
    const sumsLength = publish('v1.91.1', 300_000);
    const counters = new DownloadCounters();
    const dir = tempDir('cache-');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.91.1', 'amd64', 'kubectl');
    const processBefore = processDownloads.time.read().ops;
    await new ArtifactCache({ dir, counters }).get(ref, 'Required');
    expect(counters.bytes).toBe(300_000 + sumsLength);
    const first = counters.time.read();
    expect(first.ops).toBe(2);
    expect(first.ms).toBeGreaterThan(0);
    expect(first.wallMs).toBeCloseTo(first.ms, 0);

    // An operator restart over the same directory: the sum is fetched again, the artifact is not.
    await new ArtifactCache({ dir, counters }).get(ref, 'Required');
    expect(counters.time.read().ops).toBe(3);
    expect(counters.bytes).toBe(300_000 + 2 * sumsLength);
    expect(processDownloads.time.read().ops).toBe(processBefore);
  });

  it('are the process-wide ones unless a cache is given its own', async () => {
    const sumsLength = publish('v1.91.2', 1_000);
    const before = { ops: processDownloads.time.read().ops, bytes: processDownloads.bytes };
    const cache = new ArtifactCache({ dir: tempDir('cache-') });
    expect(cache.counters).toBe(processDownloads);
    await cache.get(kubernetesBinary(mirror.baseURL, 'v1.91.2', 'amd64', 'kubectl'), 'Required');
    expect(processDownloads.time.read().ops - before.ops).toBe(2);
    expect(processDownloads.bytes - before.bytes).toBe(1_000 + sumsLength);
  });
});

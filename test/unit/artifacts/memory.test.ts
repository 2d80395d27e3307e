// A binary the size of kube-apiserver's is downloaded to disk, and a release tarball holding one is
// unpacked, as streams: memory stays flat while they go through, however big the file.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache, etcdRelease, kubernetesBinary, type Artifact } from '../../../src/artifacts/index.ts';
import { startArtifactMirror, type ArtifactMirror } from '../../support/artifact-mirror.ts';

const MIB = 1024 * 1024;
const SIZE_MIB = 150;
/**
 * A buffered download grows memory by the file's size (150 MiB measured), and an unpack that holds
 * the tarball and its gunzipped copy by twice that; streamed, they grow by a few chunks.
 */
const BOUND_MIB = 48;

let mirror: ArtifactMirror;
let sum: string;
let etcdSum: string;
const scratch = mkdtempSync(join(tmpdir(), 'artifact-memory-test-'));

/** Writes SIZE_MIB of random bytes through a stream, so making the test data holds no more than a chunk. */
async function generate(path: string): Promise<string> {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let i = 0; i < SIZE_MIB; i++) {
      const chunk = randomBytes(MIB);
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return hash.digest('hex');
}

// Only live memory is measured: V8 lets tens of MiB of spent chunks pile up before it collects them,
// which says nothing about what the download holds on to. The second collection waits for the
// buffers the first one freed, which V8 releases in the background.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function live(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Heap and buffers in use, sampled while `work` runs: the most they grew above where they started. */
async function peakGrowth(work: () => Promise<unknown>): Promise<number> {
  const start = live();
  let peak = start;
  const sampler = setInterval(() => (peak = Math.max(peak, live())), 50);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return peak - start;
}

beforeAll(async () => {
  const dir = join(scratch, 'mirror', 'release', 'v1.91.0', 'bin', 'linux', 'amd64');
  mkdirSync(dir, { recursive: true });
  sum = await generate(join(dir, 'kube-apiserver'));
  writeFileSync(join(dir, 'kube-apiserver.sha256'), sum);
  // An etcd release whose server binary is as big, gzipped fast: random bytes do not compress anyway.
  const release = join(scratch, 'stage', 'etcd-v9.1.0-linux-amd64');
  mkdirSync(release, { recursive: true });
  etcdSum = await generate(join(release, 'etcd'));
  writeFileSync(join(release, 'etcdctl'), 'etcdctl');
  const etcdDir = join(scratch, 'mirror', 'etcd', 'v9.1.0');
  mkdirSync(etcdDir, { recursive: true });
  const tarball = join(etcdDir, 'etcd-v9.1.0-linux-amd64.tar.gz');
  const script = 'tar -C "$1" -cf - etcd-v9.1.0-linux-amd64 | gzip -1 -n > "$2" && cd "$3" && sha256sum *.tar.gz > SHA256SUMS';
  execFileSync('sh', ['-c', script, 'sh', join(scratch, 'stage'), tarball, etcdDir]);
  mirror = await startArtifactMirror(join(scratch, 'mirror'));
}, 180_000);
afterAll(async () => {
  await mirror?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('ArtifactCache memory', () => {
  it(`downloads and verifies a ${SIZE_MIB} MiB binary with less than ${BOUND_MIB} MiB of memory growth`, async () => {
    const cache = new ArtifactCache({ dir: join(scratch, 'cache') });
    const ref = kubernetesBinary(mirror.baseURL, 'v1.91.0', 'amd64', 'kube-apiserver');
    let downloaded;
    const growth = await peakGrowth(async () => (downloaded = await cache.get(ref, 'Required')));
    console.log(`memory growth downloading ${SIZE_MIB} MiB: ${(growth / MIB).toFixed(1)} MiB`);
    expect(downloaded).toMatchObject({ sha256: sum, verified: true });
    expect(growth).toBeLessThan(BOUND_MIB * MIB);
    // Re-verifying the cached copy on a restart reads it as a stream too.
    const rereadGrowth = await peakGrowth(() => new ArtifactCache({ dir: join(scratch, 'cache') }).get(ref, 'Required'));
    console.log(`memory growth re-verifying the cached copy: ${(rereadGrowth / MIB).toFixed(1)} MiB`);
    expect(rereadGrowth).toBeLessThan(BOUND_MIB * MIB);
    expect(mirror.requests.get('/release/v1.91.0/bin/linux/amd64/kube-apiserver')).toBe(1);
  }, 180_000);

  it(`unpacks a release tarball holding a ${SIZE_MIB} MiB binary with less than ${BOUND_MIB} MiB of memory growth`, async () => {
    const cache = new ArtifactCache({ dir: join(scratch, 'cache') });
    const ref = etcdRelease(mirror.baseURL, 'v9.1.0', 'amd64');
    let unpacked: Artifact | undefined;
    const growth = await peakGrowth(async () => (unpacked = await cache.get(ref, 'Required')));
    console.log(`memory growth downloading and unpacking a ${SIZE_MIB} MiB binary: ${(growth / MIB).toFixed(1)} MiB`);
    expect(unpacked!.files.map((f) => [f.path, f.sha256])).toEqual([
      ['/usr/local/bin/etcd', etcdSum],
      ['/usr/local/bin/etcdctl', createHash('sha256').update('etcdctl').digest('hex')],
    ]);
    expect(growth).toBeLessThan(BOUND_MIB * MIB);
  }, 180_000);
});

// The artifact cache against a real HTTP mirror on 127.0.0.1 serving a release made with tar.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveContentError,
  ArtifactCache,
  ChecksumMismatchError,
  ChecksumMissingError,
  DownloadFailedError,
  etcdRelease,
} from '../../../src/artifacts/index.ts';
import { startArtifactMirror, type ArtifactMirror } from '../../support/artifact-mirror.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
let mirror: ArtifactMirror;
/** Everything the tests write goes under here, removed at the end. */
const scratch = mkdtempSync(join(tmpdir(), 'artifact-cache-test-'));
const tempDir = (prefix: string) => mkdtempSync(join(scratch, prefix));

/**
 * Publishes a fake etcd release `version` on the mirror; `sums` decides what SHA256SUMS says, and
 * `archive` whether the tarball is whole, lacks etcdctl, or is cut short (and published so).
 */
function publish(version: string, sums: 'right' | 'wrong' | 'none' | 'other-file', archive: 'whole' | 'no-etcdctl' | 'cut' = 'whole'): void {
  const name = `etcd-${version}-linux-amd64`;
  const stage = tempDir('release-');
  mkdirSync(join(stage, name));
  writeFileSync(join(stage, name, 'etcd'), `etcd ${version}`, { mode: 0o755 });
  if (archive !== 'no-etcdctl') writeFileSync(join(stage, name, 'etcdctl'), `etcdctl ${version}`, { mode: 0o755 });
  const dir = join(mirror.root, 'etcd', version);
  mkdirSync(dir, { recursive: true });
  const whole = execFileSync('sh', ['-c', `tar -C ${stage} -cf - ${name} | gzip -n`]);
  const tarball = archive === 'cut' ? whole.subarray(0, whole.length - 20) : whole;
  writeFileSync(join(dir, `${name}.tar.gz`), tarball);
  const sum = { right: sha256(tarball), wrong: sha256('something else'), 'other-file': sha256(tarball), none: '' }[sums];
  const file = sums === 'other-file' ? 'unrelated.tar.gz' : `${name}.tar.gz`;
  if (sums !== 'none') writeFileSync(join(dir, 'SHA256SUMS'), `${sum}  ${file}\n`);
}

beforeAll(async () => {
  mirror = await startArtifactMirror(tempDir('mirror-'));
});
afterAll(async () => {
  await mirror.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('ArtifactCache', () => {
  it('downloads once, verifies, unpacks the members with their hashes, and reuses the copy', async () => {
    publish('v9.0.1', 'right');
    const ref = etcdRelease(mirror.baseURL, 'v9.0.1', 'amd64');
    expect(ref.url).toBe(`${mirror.baseURL}/etcd/v9.0.1/etcd-v9.0.1-linux-amd64.tar.gz`);
    const dir = tempDir('cache-');
    const artifact = await new ArtifactCache({ dir }).get(ref, 'Required');
    expect(artifact.verified).toBe(true);
    expect(artifact.files.map((f) => [f.path, f.mode, f.sha256])).toEqual([
      ['/usr/local/bin/etcd', 0o755, sha256('etcd v9.0.1')],
      ['/usr/local/bin/etcdctl', 0o755, sha256('etcdctl v9.0.1')],
    ]);
    expect(readFileSync(artifact.files[0]!.localPath, 'utf8')).toBe('etcd v9.0.1');
    // A second cache over the same directory (an operator restart) checks the sum but downloads nothing.
    const tarballPath = '/etcd/v9.0.1/etcd-v9.0.1-linux-amd64.tar.gz';
    expect(mirror.requests.get(tarballPath)).toBe(1);
    const again = await new ArtifactCache({ dir }).get(ref, 'Required');
    expect(again.sha256).toBe(artifact.sha256);
    expect(mirror.requests.get(tarballPath)).toBe(1);
  });

  it('refuses an archive whose SHA-256 differs from the published one, and unpacks nothing', async () => {
    publish('v9.0.2', 'wrong');
    const dir = tempDir('cache-');
    const error = await new ArtifactCache({ dir }).get(etcdRelease(mirror.baseURL, 'v9.0.2', 'amd64'), 'Required').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).reason).toBe('ArtifactChecksumMismatch');
    expect((error as Error).message).toMatch(/publishes [0-9a-f]{64}, so nothing from it was installed/);
    expect(execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' })).toBe('');
    // Skip does not mean accepting a published sum that does not match.
    await expect(new ArtifactCache({ dir }).get(etcdRelease(mirror.baseURL, 'v9.0.2', 'amd64'), 'Skip')).rejects.toBeInstanceOf(ChecksumMismatchError);
  });

  it('under Required refuses an archive without a published sum; under Skip takes it unverified', async () => {
    publish('v9.0.3', 'none');
    publish('v9.0.4', 'other-file');
    const cache = new ArtifactCache({ dir: tempDir('cache-') });
    await expect(cache.get(etcdRelease(mirror.baseURL, 'v9.0.3', 'amd64'), 'Required')).rejects.toThrow(
      /SHA256SUMS does not exist, and spec.artifacts.checksumPolicy is Required/,
    );
    const missingLine = await cache.get(etcdRelease(mirror.baseURL, 'v9.0.4', 'amd64'), 'Required').catch((e: unknown) => e);
    expect(missingLine).toBeInstanceOf(ChecksumMissingError);
    expect((missingLine as Error).message).toContain('has no line for etcd-v9.0.4-linux-amd64.tar.gz');
    const skipped = await cache.get(etcdRelease(mirror.baseURL, 'v9.0.3', 'amd64'), 'Skip');
    expect(skipped.verified).toBe(false);
  });

  it('refuses a verified archive that lacks a member or is cut short, saying to replace it on the mirror', async () => {
    publish('v9.0.6', 'right', 'no-etcdctl');
    publish('v9.0.7', 'right', 'cut');
    const cache = new ArtifactCache({ dir: tempDir('cache-') });
    const lacking = await cache.get(etcdRelease(mirror.baseURL, 'v9.0.6', 'amd64'), 'Required').catch((e: unknown) => e);
    expect(lacking).toBeInstanceOf(ArchiveContentError);
    expect((lacking as Error).message).toBe(
      "etcd-v9.0.6-linux-amd64.tar.gz has no etcd-v9.0.6-linux-amd64/etcdctl; it is not the release kubesmith expects",
    );
    const cut = await cache.get(etcdRelease(mirror.baseURL, 'v9.0.7', 'amd64'), 'Required').catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(ArchiveContentError);
    expect((cut as ArchiveContentError).reason).toBe('ArtifactContentInvalid');
    expect((cut as Error).message).toMatch(/^etcd-v9\.0\.7-linux-amd64\.tar\.gz is not a readable \.tar\.gz \(.+\); replace it on the mirror$/);
  });

  it('says which URL is missing when the release is not on the mirror', async () => {
    publish('v9.0.5', 'right');
    const ref = { ...etcdRelease(mirror.baseURL, 'v9.0.5', 'amd64'), url: `${mirror.baseURL}/etcd/v9.0.5/nothing.tar.gz` };
    await expect(new ArtifactCache({ dir: tempDir('cache-') }).get(ref, 'Skip')).rejects.toBeInstanceOf(DownloadFailedError);
  });
});

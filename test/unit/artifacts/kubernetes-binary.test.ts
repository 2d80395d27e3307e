// Kubernetes release binaries through the artifact cache, from a real HTTP mirror on 127.0.0.1
// laid out as dl.k8s.io: `release/<version>/bin/linux/<arch>/<name>` beside `<name>.sha256`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactCache,
  ChecksumMismatchError,
  ChecksumMissingError,
  DownloadFailedError,
  kubernetesBinary,
} from '../../../src/artifacts/index.ts';
import { startArtifactMirror, type ArtifactMirror } from '../../support/artifact-mirror.ts';

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
let mirror: ArtifactMirror;
const scratch = mkdtempSync(join(tmpdir(), 'kubernetes-binary-test-'));
const tempDir = (prefix: string) => mkdtempSync(join(scratch, prefix));
const filesUnder = (dir: string) => execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' });

/** Publishes kubectl of release `version`; `sum` decides what kubectl.sha256 holds. */
function publish(version: string, sum: 'digest' | 'sha256sum' | 'wrong' | 'none'): string {
  const content = `kubectl ${version}`;
  const dir = join(mirror.root, 'release', version, 'bin', 'linux', 'amd64');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kubectl'), content);
  const sums = { digest: `${sha256(content)}\n`, sha256sum: `${sha256(content)}  kubectl\n`, wrong: sha256('other'), none: undefined }[sum];
  if (sums !== undefined) writeFileSync(join(dir, 'kubectl.sha256'), sums);
  return content;
}
const binaryPath = (version: string) => `/release/${version}/bin/linux/amd64/kubectl`;

beforeAll(async () => {
  mirror = await startArtifactMirror(tempDir('mirror-'));
});
afterAll(async () => {
  await mirror.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('kubernetesBinary', () => {
  it('points at the upstream layout, on dl.k8s.io when no mirror is named', () => {
    const ref = kubernetesBinary(undefined, 'v1.36.3', 'arm64', 'kube-apiserver');
    expect(ref).toEqual({
      kind: 'file',
      name: 'kube-apiserver',
      url: 'https://dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-apiserver',
      sumsUrl: 'https://dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-apiserver.sha256',
      path: '/usr/local/bin/kube-apiserver',
      mode: 0o755,
    });
    expect(kubernetesBinary('http://mirror.lan/k8s/', 'v1.36.3', 'amd64', 'kubectl').url).toBe(
      'http://mirror.lan/k8s/release/v1.36.3/bin/linux/amd64/kubectl',
    );
  });
});

describe('ArtifactCache with a Kubernetes binary', () => {
  it('downloads once, verifies, and reuses the cached copy after checking it again', async () => {
    const content = publish('v1.90.1', 'digest');
    const dir = tempDir('cache-');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.1', 'amd64', 'kubectl');
    const artifact = await new ArtifactCache({ dir }).get(ref, 'Required');
    expect(artifact).toMatchObject({ sha256: sha256(content), verified: true });
    expect(artifact.files).toEqual([{ path: '/usr/local/bin/kubectl', mode: 0o755, sha256: sha256(content), localPath: expect.any(String) }]);
    expect(readFileSync(artifact.files[0]!.localPath, 'utf8')).toBe(content);
    expect(filesUnder(dir).trim().split('\n')).toEqual([artifact.files[0]!.localPath]);
    // A second cache over the same directory (an operator restart) checks the sum but downloads nothing.
    const again = await new ArtifactCache({ dir }).get(ref, 'Required');
    expect(again.files).toEqual(artifact.files);
    expect(mirror.requests.get(binaryPath('v1.90.1'))).toBe(1);
  });

  it('downloads again when the cached copy no longer has the published sum', async () => {
    const content = publish('v1.90.2', 'digest');
    const dir = tempDir('cache-');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.2', 'amd64', 'kubectl');
    const { files } = await new ArtifactCache({ dir }).get(ref, 'Required');
    writeFileSync(files[0]!.localPath, 'damaged on disk');
    await new ArtifactCache({ dir }).get(ref, 'Required');
    expect(mirror.requests.get(binaryPath('v1.90.2'))).toBe(2);
    expect(readFileSync(files[0]!.localPath, 'utf8')).toBe(content);
  });

  it('takes a .sha256 written by sha256sum, with the file name after the digest', async () => {
    const content = publish('v1.90.3', 'sha256sum');
    const artifact = await new ArtifactCache({ dir: tempDir('cache-') }).get(kubernetesBinary(mirror.baseURL, 'v1.90.3', 'amd64', 'kubectl'), 'Required');
    expect(artifact).toMatchObject({ sha256: sha256(content), verified: true });
  });

  it('refuses a binary whose SHA-256 differs from the published one and leaves nothing in the cache', async () => {
    publish('v1.90.4', 'wrong');
    const dir = tempDir('cache-');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.4', 'amd64', 'kubectl');
    const error = await new ArtifactCache({ dir }).get(ref, 'Required').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as ChecksumMismatchError).expected).toBe(sha256('other'));
    expect(mirror.requests.get(binaryPath('v1.90.4'))).toBe(1);
    expect(filesUnder(dir)).toBe('');
    // Skip does not mean accepting a published sum that does not match.
    await expect(new ArtifactCache({ dir }).get(ref, 'Skip')).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(filesUnder(dir)).toBe('');
  });

  it('under Required refuses a binary without a published sum; under Skip takes it unverified', async () => {
    const content = publish('v1.90.5', 'none');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.5', 'amd64', 'kubectl');
    const cache = new ArtifactCache({ dir: tempDir('cache-') });
    const error = await cache.get(ref, 'Required').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMissingError);
    expect((error as Error).message).toContain('kubectl.sha256 does not exist, and spec.artifacts.checksumPolicy is Required');
    expect(mirror.requests.get(binaryPath('v1.90.5'))).toBeUndefined();
    const skipped = await cache.get(ref, 'Skip');
    expect(skipped).toMatchObject({ sha256: sha256(content), verified: false });
  });

  it('under Required refuses a .sha256 that holds no digest', async () => {
    publish('v1.90.6', 'digest');
    writeFileSync(join(mirror.root, 'release/v1.90.6/bin/linux/amd64/kubectl.sha256'), 'not published yet\n');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.6', 'amd64', 'kubectl');
    await expect(new ArtifactCache({ dir: tempDir('cache-') }).get(ref, 'Required')).rejects.toThrow(/kubectl.sha256 holds no SHA-256/);
  });

  it('says which URL is missing when the binary is not on the mirror', async () => {
    publish('v1.90.7', 'digest');
    const ref = kubernetesBinary(mirror.baseURL, 'v1.90.7', 'amd64', 'kube-proxy');
    writeFileSync(join(mirror.root, 'release/v1.90.7/bin/linux/amd64/kube-proxy.sha256'), sha256('kube-proxy'));
    const error = await new ArtifactCache({ dir: tempDir('cache-') }).get(ref, 'Required').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadFailedError);
    expect((error as Error).message).toContain(`${ref.url} does not exist (HTTP 404)`);
  });

  it('refuses a download that breaks off, even unverified under Skip, and leaves nothing in the cache', async () => {
    // Announces more than it sends, as a mirror that goes away mid-download does.
    const server = createServer((req, res) => {
      if (req.url?.endsWith('.sha256')) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Length': 1_000_000 });
      res.write('the first bytes', () => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dir = tempDir('cache-');
      const ref = kubernetesBinary(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'v1.90.8', 'amd64', 'kubectl');
      const error = await new ArtifactCache({ dir }).get(ref, 'Skip').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DownloadFailedError);
      expect((error as Error).message).toContain(`the download of ${ref.url} stopped`);
      expect(filesUnder(dir)).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

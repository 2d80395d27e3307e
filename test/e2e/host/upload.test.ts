// Files streamed from this machine to a real host: a Kubernetes binary pushed from the artifact
// cache, and what the host does when a stream does not deliver what was promised.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ArtifactCache, kubernetesBinary, pushArtifact } from '../../../src/artifacts/index.ts';
import { sha256OfFile } from '../../../src/artifacts/sha256.ts';
import { CommandFailedError, endpointLabel, SshPool, uploadFile, type HostChange, type HostSession } from '../../../src/host/index.ts';
import { buildKubernetesRelease, startArtifactMirror, type ArtifactMirror } from '../../support/artifact-mirror.ts';
import { loginOf, startHosts, type TestHost, type TestHosts } from '../../support/hosts.ts';

/** hack/build-binaries.sh's default release, which the e2e global setup has already built. */
const KUBE_VERSION = 'v1.36.3';

let world: TestHosts;
let host: TestHost;
let pool: SshPool;
let mirror: ArtifactMirror;
const scratch = mkdtempSync(join(tmpdir(), 'upload-test-'));
beforeAll(async () => {
  await buildKubernetesRelease(join(scratch, 'mirror'), KUBE_VERSION);
  mirror = await startArtifactMirror(join(scratch, 'mirror'));
  world = await startHosts(1, { image: inject('hostImage'), prefix: 'upload' });
  host = world.hosts[0] as TestHost;
  pool = new SshPool();
});
afterAll(async () => {
  pool?.dispose();
  await world?.stop();
  await mirror?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const onHost = <T>(work: (s: HostSession) => Promise<T>, observer?: (c: HostChange) => void) =>
  pool.withHost(loginOf(host), work, observer ? { observer } : {});
const roundTrips = () => pool.counters.forHost(endpointLabel(loginOf(host))).roundTrips;
const statOf = async (path: string) => (await host.run(`stat -c '%a %U %G %.9Y' ${path}`)).stdout.trim();
const sumOnHost = async (path: string) => (await host.run(`sha256sum < ${path}`)).stdout.split(' ')[0];

describe('pushing a Kubernetes binary', () => {
  it('installs it with its verified SHA-256, 0755 and root, and a second push writes nothing in one round trip', async () => {
    const cache = new ArtifactCache({ dir: join(scratch, 'cache') });
    const artifact = await cache.get(kubernetesBinary(mirror.baseURL, KUBE_VERSION, 'amd64', 'kube-scheduler'), 'Required');
    expect(artifact.verified).toBe(true);
    const path = '/usr/local/bin/kube-scheduler';

    const changes: HostChange[] = [];
    expect(await onHost((s) => pushArtifact(s, artifact), (c) => changes.push(c))).toEqual([path]);
    expect(changes.map((c) => c.description)).toEqual([`wrote ${path} (0755 root:root)`]);
    expect(await sumOnHost(path)).toBe(artifact.sha256);
    const installed = await statOf(path);
    expect(installed).toMatch(/^755 root root /);
    expect((await host.run(`${path} --version`)).stdout).toContain(KUBE_VERSION);

    const tripsBefore = roundTrips();
    const again = await onHost((s) => pushArtifact(s, artifact), (c) => changes.push(c));
    expect(again).toEqual([]);
    expect(roundTrips() - tripsBefore).toBe(1);
    expect(changes).toHaveLength(1);
    expect(await statOf(path)).toBe(installed);
  });
});

describe('uploadFile', () => {
  const path = '/var/lib/kubesmith/upload';
  let local: string;
  let sum: string;
  beforeAll(async () => {
    local = join(scratch, 'local-file');
    writeFileSync(local, randomBytes(4 * 1024 * 1024));
    sum = await sha256OfFile(local);
  });

  it('streams a local file to the host', async () => {
    const result = await onHost((s) => uploadFile(s, { path, localPath: local, sha256: sum, mode: 0o600 }));
    expect(result).toEqual({ path, changed: true, metadataOnly: false });
    expect(await sumOnHost(path)).toBe(sum);
    expect(await statOf(path)).toMatch(/^600 root root /);
  });

  it('keeps the host file when what arrives does not have the promised SHA-256', async () => {
    // A local file that changed after it was verified looks on the host like a stream cut short.
    const changed = join(scratch, 'changed-file');
    writeFileSync(changed, randomBytes(1024));
    const error = await onHost((s) => uploadFile(s, { path, localPath: changed, sha256: 'a'.repeat(64), mode: 0o600 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toContain('the content arrived incomplete or changed; the file was left as it was');
    expect(await sumOnHost(path)).toBe(sum);
    expect((await host.run(`test -e ${path}.kubesmith-new`)).exitCode).toBe(1);
  });

  it('fails with the read error when the local file cannot be read, and the host keeps its file', async () => {
    const spec = { path, sha256: 'b'.repeat(64), mode: 0o600 };
    const tripsBefore = roundTrips();
    const missing = await onHost((s) => uploadFile(s, { ...spec, localPath: join(scratch, 'no-such-file') }, { path, exists: false })).catch((e: unknown) => e);
    expect((missing as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(roundTrips() - tripsBefore).toBe(0);
    // A directory opens but fails at the first read, once the stream is on its way to the host.
    const unreadable = await onHost((s) => uploadFile(s, { ...spec, localPath: scratch }, { path, exists: false })).catch((e: unknown) => e);
    expect((unreadable as NodeJS.ErrnoException).code).toBe('EISDIR');
    expect(roundTrips() - tripsBefore).toBe(1);
    expect(await sumOnHost(path)).toBe(sum);
    expect((await onHost((s) => s.check('echo still connected'))).stdout).toBe('still connected\n');
  });
});

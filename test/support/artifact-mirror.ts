// An upstream-shaped artifact mirror for tests: a directory served over HTTP on 127.0.0.1, counting
// requests per path so tests can tell a download from a cache hit.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256OfFile } from '../../src/artifacts/sha256.ts';

export interface ArtifactMirror {
  baseURL: string;
  root: string;
  /** GET requests per URL path. */
  requests: Map<string, number>;
  stop(): Promise<void>;
}

/** `address` defaults to loopback; pass the test network's gateway (gatewayOf) for hosts to download from it. */
export async function startArtifactMirror(root: string, address = '127.0.0.1'): Promise<ArtifactMirror> {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'Content-Length': s.size, 'Content-Type': 'application/octet-stream' });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://${address}:${port}`,
    root,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const hack = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hack');

/** Fills `root` with an etcd release laid out as upstream's (hack/build-etcd-release.sh); returns its directory. */
export function buildEtcdRelease(root: string): string {
  return execFileSync('bash', [join(hack, 'build-etcd-release.sh'), root], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** The Kubernetes binaries hack/build-binaries.sh builds; its etcd goes on the mirror by buildEtcdRelease. */
const KUBERNETES_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kubelet', 'kube-proxy'] as const;

/**
 * Fills `root` with the Kubernetes binaries of `version` laid out as dl.k8s.io's:
 * `<root>/release/<version>/bin/linux/amd64/<name>` with `<name>.sha256` beside it; returns that
 * directory. The binaries are linked from hack/build-binaries.sh's directory, not copied.
 */
export async function buildKubernetesRelease(root: string, version: string): Promise<string> {
  const bin = execFileSync('bash', [join(hack, 'build-binaries.sh')], {
    encoding: 'utf8',
    env: { ...process.env, KUBE_VERSION: version },
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const dir = join(root, 'release', version, 'bin', 'linux', 'amd64');
  await mkdir(dir, { recursive: true });
  for (const name of KUBERNETES_BINARIES) {
    await rm(join(dir, name), { force: true });
    await symlink(join(bin, name), join(dir, name));
    await writeFile(join(dir, `${name}.sha256`), `${await sha256OfFile(join(bin, name))}\n`);
  }
  return dir;
}

/** Fills `root` with containerd, runc and the CNI plugins laid out as their GitHub releases (hack/build-node-release.sh). */
export function buildNodeRelease(root: string): void {
  execFileSync('bash', [join(hack, 'build-node-release.sh'), root], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

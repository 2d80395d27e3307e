// An upstream-shaped artifact mirror for tests: a directory served over HTTP on 127.0.0.1, counting
// requests per path so tests can tell a download from a cache hit.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ArtifactMirror {
  baseURL: string;
  root: string;
  /** GET requests per URL path. */
  requests: Map<string, number>;
  stop(): Promise<void>;
}

export async function startArtifactMirror(root: string): Promise<ArtifactMirror> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
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

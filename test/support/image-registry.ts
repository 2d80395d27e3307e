// The tests' OCI image registry: distribution's `registry` (hack/build-test-tools.sh) serving, read
// only, the images hack/build-images.sh built (pause, netcheck). Started on the test network's
// gateway (gatewayOf in hosts.ts) so the hosts reach it; its access log tells a test what was pulled.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

/** The tags hack/build-images.sh pushes, each also under `kubesmith/` (and netcheck under `library/`). */
export const PAUSE_IMAGE_TAG = '3.10.2';
export const NETCHECK_IMAGE_TAG = '1';

export interface RegistryRequest {
  /** The client's address: a test host's. */
  client: string;
  method: string;
  path: string;
  status: number;
}

export interface ImagePull {
  client: string;
  /** `kubesmith/pause`, `library/netcheck`, ... */
  repository: string;
  /** Tag or digest. */
  reference: string;
  status: number;
}

export interface ImageRegistry {
  /** `address:port`, the registry's name in image references (`<host>/kubesmith/pause:3.10.2`). */
  host: string;
  /** Every request the registry answered, in order. */
  requests(): RegistryRequest[];
  /** The manifest requests (GET or HEAD), which every pull by tag or digest starts with. */
  pulls(): ImagePull[];
  stop(): Promise<void>;
}

const hack = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'hack');
const bash = (script: string) =>
  execFileSync('bash', [join(hack, script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

/** Builds (once, cached) the registry storage with the test images; returns its directory. */
export function buildImageRegistryStorage(): string {
  return bash('build-images.sh');
}

// Combined Log Format, which the registry writes to stdout: `1.2.3.4 - - [date] "GET /v2/... HTTP/1.1" 200 ...`
const ACCESS_LINE = /^(\S+) \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) /;
const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;

/**
 * The registry's configuration: `storage` served read only (many test runs share the cached
 * storage, and a test must not be able to push to it), access log on, listening on `listen`.
 */
export function registryConfig(storage: string, listen: string): string {
  return [
    'version: 0.1',
    'log: { level: info, accesslog: { disabled: false } }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
    '  maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } }',
    `http: { addr: ${JSON.stringify(listen)} }`,
    '',
  ].join('\n');
}

/** No OpenTelemetry exporter: it would try to send traces to a collector that is not there. */
export const REGISTRY_ENV = { ...process.env, OTEL_TRACES_EXPORTER: 'none' };

/**
 * Runs a registry on `address` (an IP, or `IP:port`; without a port a free one is taken) serving
 * `storage` (default: buildImageRegistryStorage()) read only, and waits until it answers /v2/.
 */
export async function startImageRegistry(address: string, options: { storage?: string } = {}): Promise<ImageRegistry> {
  const storage = options.storage ?? buildImageRegistryStorage();
  const registry = join(bash('build-test-tools.sh'), 'registry');
  const listen = /:\d+$/.test(address) ? address : `${address}:0`;
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-registry-'));
  writeFileSync(join(dir, 'config.yml'), registryConfig(storage, listen));
  const child = spawn(registry, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'], env: REGISTRY_ENV });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let exited = false;
  const closed = new Promise<void>((resolve) => child.once('close', () => ((exited = true), resolve())));

  const requests: RegistryRequest[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [, client, method, path, status] = ACCESS_LINE.exec(line) ?? [];
    if (client && method && path) requests.push({ client, method, path, status: Number(status) });
  });
  const errors: string[] = [];
  let host: string | undefined;
  createInterface({ input: child.stderr }).on('line', (line) => {
    errors.push(line);
    if (errors.length > 50) errors.shift();
    host ??= /listening on (\S+?:\d+)/.exec(line)?.[1]?.replace(/^\[::\]|^0\.0\.0\.0/, address);
  });

  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    await closed;
    process.removeListener('exit', kill);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`the image registry on ${listen} to answer /v2/`, async () => {
      if (exited) throw new Error(`the image registry exited:\n${errors.join('\n')}`);
      if (!host) return false;
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      return res?.status === 200;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const registryHost = host as string;
  return {
    host: registryHost,
    requests: () => [...requests],
    pulls: () =>
      requests.flatMap(({ client, method, path, status }) => {
        const [, repository, reference] = MANIFEST_PATH.exec(path.split('?')[0] ?? path) ?? [];
        return repository && reference && (method === 'GET' || method === 'HEAD') ? [{ client, repository, reference, status }] : [];
      }),
    stop,
  };
}

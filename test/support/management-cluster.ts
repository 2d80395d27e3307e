// A real management API server for tests and the dev environment (the envtest pattern): etcd and
// kube-apiserver as local processes on loopback, TLS with a generated admin client certificate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLoopbackPki, type LoopbackPki } from './loopback-pki.ts';
import { freePort, logTail, startProcess, stopProcess, type Started } from './processes.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** Builds (once, cached) or locates the kube-apiserver, kubectl and etcd binaries. */
export function ensureBinaries(): string {
  const out = execFileSync('bash', [join(repoRoot, 'hack', 'build-binaries.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1)!;
}

export interface ManagementCluster {
  server: string;
  kubeconfigPath: string;
  /** The API server's port on 127.0.0.1. */
  port: number;
  pids: number[];
  /** Stops and starts kube-apiserver on the same port with the same store (its watch cache starts afresh). */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  dir: string;
  binDir: string;
  /** Leave the processes running after this process exits (the dev environment). */
  detached?: boolean;
}

function kubeconfig(server: string, pki: LoopbackPki): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'management', cluster: { server, 'certificate-authority-data': b64(pki.ca.cert) } }],
    users: [
      {
        name: 'admin',
        user: { 'client-certificate-data': b64(pki.admin.cert), 'client-key-data': b64(pki.admin.key) },
      },
    ],
    contexts: [{ name: 'management', context: { cluster: 'management', user: 'admin', namespace: 'default' } }],
    'current-context': 'management',
  });
}

async function readyz(port: number, pki: LoopbackPki): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function waitUntil(check: () => Promise<boolean>, proc: Started, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited()) throw new Error(`${what} exited during start-up:\n${logTail(proc.logFile)}`);
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms:\n${logTail(proc.logFile)}`);
}

export async function startManagementCluster({ dir, binDir, detached = false }: StartOptions): Promise<ManagementCluster> {
  mkdirSync(join(dir, 'pki'), { recursive: true });
  const pki = await createLoopbackPki();
  const file = (name: string, text: string) => {
    const path = join(dir, 'pki', name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];

  const etcd = startProcess(
    join(binDir, 'etcd'),
    [
      '--name=management',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=management=http://127.0.0.1:${etcdPeer}`,
      // A throwaway test store: durability buys nothing and fsync dominates its latency.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
    detached,
  );
  const apiserverArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--tls-cert-file=${file('apiserver.crt', pki.serving.cert)}`,
    `--tls-private-key-file=${file('apiserver.key', pki.serving.key)}`,
    `--client-ca-file=${file('ca.crt', pki.ca.cert)}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${file('sa.pub', pki.serviceAccount.publicKey)}`,
    `--service-account-signing-key-file=${file('sa.key', pki.serviceAccount.privateKey)}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
  ];
  const startApiServer = async () => {
    const apiserver = startProcess(join(binDir, 'kube-apiserver'), apiserverArgs, join(dir, 'kube-apiserver.log'), detached);
    pids[0] = apiserver.pid;
    try {
      await waitUntil(() => readyz(securePort, pki), apiserver, 'kube-apiserver', 90_000);
    } catch (error) {
      await stop();
      throw new Error(`${(error as Error).message}\netcd log:\n${logTail(etcd.logFile, 10)}`, { cause: error });
    }
  };
  const pids = [0, etcd.pid];
  const stop = async () => {
    for (const pid of pids) await stopProcess(pid);
  };
  await startApiServer();
  const server = `https://127.0.0.1:${securePort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(server, pki), { mode: 0o600 });
  const restartApiServer = async () => {
    await stopProcess(pids[0]!);
    await startApiServer();
  };
  return { server, kubeconfigPath, port: securePort, pids, restartApiServer, stop };
}

/** A copy of a kubeconfig whose server is another port on 127.0.0.1, such as a TcpProxy. */
export function kubeconfigThroughPort(kubeconfigPath: string, port: number, outPath: string): string {
  const config = JSON.parse(readFileSync(kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  writeFileSync(outPath, JSON.stringify(config), { mode: 0o600 });
  return outPath;
}

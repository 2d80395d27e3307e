// How the operator reaches its management API server: the kubeconfig (KUBECONFIG, else
// ~/.kube/config) or the in-cluster service account, as kubectl finds them. Read here rather than
// with client-node's KubeConfig because loading that module loads all of client-node (its generated
// API classes and models, about 900 modules), which is most of the operator's memory: some 50 MiB of
// its RSS for the few hundred lines used. What this covers: server, CA, client certificates, bearer
// tokens and token files, basic auth, impersonation and exec credential plugins. A kubeconfig that
// needs more (an `auth-provider` such as oidc, or a `proxy-url`) is handed to client-node, loaded
// then and only then.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { parse } from 'yaml';

/** What KubeClient needs of a kubeconfig; client-node's KubeConfig has it too. */
export interface KubeAuth {
  getCurrentCluster(): { server: string } | null;
  /** Adds TLS material, credentials and an agent to the options of a request to the server. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Cluster {
  server: string;
  caFile?: string;
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
}

interface User {
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  exec?: ExecConfig;
}

interface ExecCredential {
  status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string };
}

/** A bearer token file is read again after this long: a projected service-account token rotates. */
const TOKEN_FILE_TTL_MS = 60_000;

export class KubeConfigError extends Error {}

export class LoadedKubeConfig implements KubeAuth {
  readonly cluster: Cluster;
  readonly user: User;
  readonly namespace?: string;
  /**
   * Connections are kept for the next request, as client-go and client-node's own API clients keep
   * them: a TLS handshake per request costs CPU and, in the OpenSSL and V8 garbage it leaves, some
   * 20 MiB of the process's memory. An idle connection is closed after 30 s, before the API
   * server's own idle timeout (90 s) or a load balancer's could close it under a request.
   */
  private readonly agent = new Agent({ keepAlive: true, timeout: 30_000 });
  private tokenFromFile?: { token: string; readAt: number };
  private execCredential?: { status: NonNullable<ExecCredential['status']>; expiresAt: number };

  constructor(cluster: Cluster, user: User, namespace?: string) {
    this.cluster = cluster;
    this.user = user;
    this.namespace = namespace;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.cluster.server };
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const { cluster, user } = this;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = fileOrData(cluster.caFile, cluster.caData);
    if (ca) opts.ca = ca;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    if (user.impersonate) headers['Impersonate-User'] = user.impersonate;
    if (user.exec) {
      const status = await this.execStatus(user.exec);
      if (status.clientCertificateData) opts.cert = status.clientCertificateData;
      if (status.clientKeyData) opts.key = status.clientKeyData;
      if (status.token) headers.Authorization = `Bearer ${status.token}`;
    }
    const token = user.token ?? this.fileToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
    if (cluster.server.startsWith('https:')) opts.agent = this.agent;
  }

  private fileToken(): string | undefined {
    const file = this.user.tokenFile;
    if (!file) return undefined;
    if (!this.tokenFromFile || Date.now() - this.tokenFromFile.readAt > TOKEN_FILE_TTL_MS) {
      this.tokenFromFile = { token: readFileSync(file, 'utf8').trim(), readAt: Date.now() };
    }
    return this.tokenFromFile.token;
  }

  /** The exec plugin's credential, kept until it expires (forever when it does not say). */
  private async execStatus(exec: ExecConfig): Promise<NonNullable<ExecCredential['status']>> {
    if (this.execCredential && this.execCredential.expiresAt > Date.now()) return this.execCredential.status;
    const credential = await runExecPlugin(exec);
    const status = credential.status ?? {};
    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
    this.execCredential = { status, expiresAt };
    return status;
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

/** Runs a client.authentication.k8s.io credential plugin as client-go does (non-interactive). */
function runExecPlugin(exec: ExecConfig): Promise<ExecCredential> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const { name, value } of exec.env ?? []) env[name] = value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
  return new Promise((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => reject(new KubeConfigError(`credential plugin ${exec.command}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new KubeConfigError(`credential plugin ${exec.command} exited with ${code}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as ExecCredential);
      } catch (error) {
        reject(new KubeConfigError(`credential plugin ${exec.command} printed no ExecCredential: ${(error as Error).message}`));
      }
    });
  });
}

// ---- Loading.

type Named<T> = { name?: string } & T;
interface KubeConfigFile {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string; namespace?: string } }>[];
}

interface Entries {
  currentContext?: string;
  clusters: Map<string, { dir: string; cluster: Record<string, unknown> }>;
  users: Map<string, { dir: string; user: Record<string, unknown> }>;
  contexts: Map<string, { cluster?: string; user?: string; namespace?: string }>;
}

/** Merges kubeconfig files as kubectl does: the first file to set a value or name an entry wins. */
function readFiles(files: string[]): Entries {
  const entries: Entries = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    const config = (parse(readFileSync(file, 'utf8')) ?? {}) as KubeConfigFile;
    const dir = dirname(file);
    entries.currentContext ??= config['current-context'] || undefined;
    for (const c of config.clusters ?? []) if (c.name && !entries.clusters.has(c.name)) entries.clusters.set(c.name, { dir, cluster: c.cluster ?? {} });
    for (const u of config.users ?? []) if (u.name && !entries.users.has(u.name)) entries.users.set(u.name, { dir, user: u.user ?? {} });
    for (const c of config.contexts ?? []) if (c.name && !entries.contexts.has(c.name)) entries.contexts.set(c.name, c.context ?? {});
  }
  return entries;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const path = (dir: string, v: unknown): string | undefined => {
  const p = str(v);
  return p && !isAbsolute(p) ? join(dir, p) : p;
};

/** The current context's cluster and user; undefined when only client-node can serve them. */
function fromEntries(entries: Entries, where: string): LoadedKubeConfig | undefined {
  const name = entries.currentContext;
  if (!name) throw new KubeConfigError(`${where}: no current-context; set one with kubectl config use-context`);
  const context = entries.contexts.get(name);
  if (!context) throw new KubeConfigError(`${where}: current-context ${name} is not among the contexts`);
  const clusterEntry = context.cluster ? entries.clusters.get(context.cluster) : undefined;
  if (!clusterEntry) throw new KubeConfigError(`${where}: context ${name} names cluster ${context.cluster ?? '(none)'}, which is not defined`);
  const userEntry = context.user ? entries.users.get(context.user) : undefined;
  const c = clusterEntry.cluster;
  const u = userEntry?.user ?? {};
  if (c['proxy-url'] || u['auth-provider']) return undefined;
  const server = str(c.server);
  if (!server) throw new KubeConfigError(`${where}: cluster ${context.cluster} has no server`);
  const exec = u.exec as (ExecConfig & { command?: string }) | undefined;
  if (exec && !exec.command) throw new KubeConfigError(`${where}: user ${context.user} has an exec plugin without a command`);
  const userDir = userEntry?.dir ?? clusterEntry.dir;
  return new LoadedKubeConfig(
    {
      server: server.replace(/\/$/, ''),
      caFile: path(clusterEntry.dir, c['certificate-authority']),
      caData: str(c['certificate-authority-data']),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: str(c['tls-server-name']),
    },
    {
      certFile: path(userDir, u['client-certificate']),
      certData: str(u['client-certificate-data']),
      keyFile: path(userDir, u['client-key']),
      keyData: str(u['client-key-data']),
      token: str(u.token),
      tokenFile: path(userDir, u.tokenFile ?? u['token-file']),
      username: str(u.username),
      password: str(u.password),
      impersonate: str(u.as),
      exec: exec && { ...exec, command: exec.command.includes('/') ? path(userDir, exec.command)! : exec.command },
    },
    context.namespace,
  );
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

/** The in-cluster service account: the API server's Service from the environment, the token and CA from the mounted files. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): LoadedKubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeConfigError('in a cluster, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  const namespaceFile = join(dir, 'namespace');
  return new LoadedKubeConfig(
    { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: join(dir, 'ca.crt') },
    { tokenFile: join(dir, 'token') },
    existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined,
  );
}

/**
 * The kubeconfig kubectl would use: the files in KUBECONFIG, else ~/.kube/config, else the in-cluster
 * service account. Handed to client-node when it needs what only client-node does.
 */
export async function loadKubeConfig(options: LoadOptions = {}): Promise<KubeAuth> {
  const env = options.env ?? process.env;
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length === 0) {
    const home = options.home ?? (env.HOME || homedir());
    const file = join(home, '.kube', 'config');
    if (existsSync(file)) files.push(file);
  }
  if (files.length === 0) {
    const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    if (existsSync(join(dir, 'token'))) return inClusterConfig(env, dir);
    throw new KubeConfigError('no kubeconfig: set KUBECONFIG, create ~/.kube/config or run in a cluster with a service account');
  }
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) throw new KubeConfigError(`KUBECONFIG names no file that exists: ${files.join(delimiter)}`);
  const loaded = fromEntries(readFiles(existing), existing.join(delimiter));
  if (loaded) return loaded;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(existing[0]!);
  for (const file of existing.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more, true);
  }
  return kc;
}

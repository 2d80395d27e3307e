// A small JSON client over node:https. client-node supplies authentication (certificates, tokens,
// exec plugins) through applyToHTTPSOptions; requests and watches go out as plain JSON, because the
// typed serializer of client-node silently drops fields it has no model for.
import { request, type RequestOptions } from 'node:https';
import { request as plainRequest } from 'node:http';
import { createInterface } from 'node:readline';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubesmithError } from '../errors.ts';
import type { KubeAuth } from './kube-config.ts';

export class KubeApiError extends KubesmithError {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (e: unknown) => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown) => e instanceof KubeApiError && e.status === 409;
export const isGone = (e: unknown) => e instanceof KubeApiError && e.status === 410;

export interface WatchEvent<T = KubernetesObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface RequestArgs {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export class KubeClient {
  readonly kubeConfig: KubeAuth;
  private readonly server: URL;

  constructor(kubeConfig: KubeAuth) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster; set current-context');
    this.kubeConfig = kubeConfig;
    this.server = new URL(cluster.server);
  }

  private async options(method: string, path: string, args: RequestArgs): Promise<RequestOptions> {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [k, v] of Object.entries(args.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { Accept: 'application/json' },
    };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    if (args.body !== undefined) (opts.headers as Record<string, string>)['Content-Type'] = args.contentType ?? 'application/json';
    return opts;
  }

  private send(opts: RequestOptions) {
    return this.server.protocol === 'http:' ? plainRequest(opts) : request(opts);
  }

  async request<T>(method: string, path: string, args: RequestArgs = {}): Promise<T> {
    const opts = await this.options(method, path, args);
    return new Promise<T>((resolve, reject) => {
      const req = this.send(opts);
      req.setTimeout(args.timeoutMs ?? 30_000, () => req.destroy(new Error('no answer in time')));
      // A management API server that cannot be reached is an expected failure, not a bug.
      const unreachable = (error: Error) =>
        reject(new KubeApiError(0, 'ManagementApiUnreachable', `${method} ${path}: ${error.message}; check that the API server is up and reachable`));
      req.on('error', unreachable);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', unreachable);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve((text ? JSON.parse(text) : undefined) as T);
            return;
          }
          let reason = 'Unknown';
          let message = `${method} ${path}: HTTP ${status}`;
          try {
            const body = JSON.parse(text) as { reason?: string; message?: string };
            reason = body.reason ?? reason;
            message = body.message ?? message;
          } catch {
            if (text) message += `: ${text.slice(0, 500)}`;
          }
          reject(new KubeApiError(status, reason, message));
        });
      });
      if (args.body !== undefined) req.write(typeof args.body === 'string' ? args.body : JSON.stringify(args.body));
      req.end();
    });
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async list<T>(path: string, query: RequestArgs['query'] = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion: string;
    let cont: string | undefined;
    do {
      const page = await this.request<{ items: T[]; metadata: { resourceVersion: string; continue?: string } }>('GET', path, {
        query: { ...query, limit: 500, continue: cont },
      });
      items.push(...page.items);
      resourceVersion = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  patch<T>(path: string, body: unknown, contentType: string, query?: RequestArgs['query']): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType, query });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * Streams watch events until the server ends the watch (resolves) or the connection fails
   * (rejects). An ERROR event, such as 410 Gone for an expired resourceVersion, rejects with its
   * status. `signal` stops the watch.
   */
  async watch<T>(
    path: string,
    query: RequestArgs['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const opts = await this.options('GET', path, { query: { ...query, watch: true } });
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve();
      const req = this.send({ ...opts, signal });
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        if (error && !signal.aborted) reject(error);
        else resolve();
      };
      req.on('error', finish);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          finish(new KubeApiError(status, 'WatchFailed', `watch ${path}: HTTP ${status}`));
          return;
        }
        const lines = createInterface({ input: res });
        lines.on('error', finish);
        lines.on('line', (line) => {
          if (!line) return;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; reason?: string; message?: string };
            finish(new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? 'watch error'));
            req.destroy();
            return;
          }
          onEvent(event);
        });
        res.on('error', finish);
        res.on('close', () => finish(res.complete ? undefined : new Error(`watch ${path}: connection closed`)));
      });
      req.end();
    });
  }
}

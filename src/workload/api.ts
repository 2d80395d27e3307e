// JSON requests to a cluster's API through whatever transport the caller gives (in practice the SSH
// tunnel of tunnel-request.ts, with TLS verified and the operator's identity): status codes become
// errors that say what was asked, and a 404 on a read is an absence, not a failure.
import { KubesmithError } from '../errors.ts';
import { BusyTime } from '../host/counters.ts';
import type { TunnelRequest, TunnelResponse } from './tunnel-request.ts';

export type Send = (request: Omit<TunnelRequest, 'verify' | 'identity'>) => Promise<TunnelResponse>;

/** The cluster API answered, but not with success. */
export class WorkloadApiError extends KubesmithError {
  readonly reason = 'ClusterApiRefused';
  readonly status: number;
  constructor(method: string, path: string, response: TunnelResponse) {
    const detail = (() => {
      try {
        return (JSON.parse(response.body) as { message?: string }).message ?? response.body.slice(0, 300);
      } catch {
        return response.body.slice(0, 300);
      }
    })();
    super(`${method} ${path} answered ${response.status}: ${detail}`);
    this.status = response.status;
  }
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** Every WorkloadApi's requests that were not given a clock of their own: how long this process waited on cluster APIs. */
export const processWorkloadApi = new BusyTime();

export class WorkloadApi {
  readonly #send: Send;
  readonly #time: BusyTime;

  /** `time` counts the requests, tunnel included (processWorkloadApi by default). */
  constructor(send: Send, time: BusyTime = processWorkloadApi) {
    this.#send = send;
    this.#time = time;
  }

  async json<T>(method: TunnelRequest['method'], path: string, body?: unknown, contentType?: string): Promise<T> {
    const request = { method, path, ...(body === undefined ? {} : { body }), ...(contentType ? { contentType } : {}) };
    const response = await this.#time.time(() => this.#send(request));
    if (response.status < 200 || response.status > 299) throw new WorkloadApiError(method, path, response);
    return (response.body ? JSON.parse(response.body) : {}) as T;
  }

  /** The object at `path`, or undefined when there is none. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.json<T>('GET', path);
    } catch (error) {
      if (error instanceof WorkloadApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Deletes the object at `path`; true when it was there. */
  async delete(path: string, body?: unknown): Promise<boolean> {
    try {
      await this.json('DELETE', path, body);
      return true;
    } catch (error) {
      if (error instanceof WorkloadApiError && error.status === 404) return false;
      throw error;
    }
  }
}

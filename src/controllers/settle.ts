// Work on several hosts at once that always settles before the caller goes on: when one host fails,
// the others still finish (or fail) before the error is reported, so no write is left running on a
// host after the reconcile has returned and written its status.
import { KubesmithError } from '../errors.ts';

/**
 * All results once every promise has settled; otherwise the first failure, preferring an unexpected
 * error, so that a bug does not hide behind an ordinary failure on another host.
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length === 0) return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  return Promise.reject(failures.find((e) => !(e instanceof KubesmithError)) ?? failures[0]);
}

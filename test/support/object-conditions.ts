// Waiting on, and nudging, any kubesmith object in tests.
import type { Condition } from '../../src/api/index.ts';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { resourcePath, type Resource } from '../../src/runtime/resources.ts';
import { waitFor } from './wait.ts';

type WithConditions = { status?: { conditions?: Condition[] } };

/** Reads the object until the condition has the status (and reason, if given); returns the object. */
export async function waitForObjectCondition<T extends WithConditions>(
  read: () => Promise<T>,
  name: string,
  type: string,
  status: string,
  reason: string | undefined,
  timeoutMs: number,
  everyMs: number,
): Promise<T> {
  let last: T | undefined;
  try {
    return await waitFor(
      `${name} ${type}=${status}${reason ? ` (${reason})` : ''}`,
      async () => {
        last = await read();
        const c = last.status?.conditions?.find((x) => x.type === type);
        return c?.status === status && (!reason || c.reason === reason) ? last : undefined;
      },
      timeoutMs,
      everyMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; conditions were ${JSON.stringify(last?.status?.conditions)}`, { cause: error });
  }
}

/** Triggers a reconcile without changing spec, the way a person's `kubectl annotate` would. */
export async function nudgeObject(client: KubeClient, resource: Resource, namespace: string, name: string): Promise<void> {
  await client.patch(
    resourcePath(resource, namespace, name),
    { metadata: { annotations: { 'kubesmith.io/nudge': String(Date.now()) } } },
    'application/merge-patch+json',
  );
}

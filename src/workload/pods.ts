// Pods of an add-on as the operator reads them over the tunnel: which serve, and why the others do
// not, in the kubelet's words, for a condition's message.
import type { V1Pod } from '@kubernetes/client-node';
import type { WorkloadApi } from './api.ts';

export async function listPods(api: WorkloadApi, namespace: string, selector: Record<string, string>): Promise<V1Pod[]> {
  const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await api.json<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(labelSelector)}`);
  return list.items;
}

export function isPodReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** What keeps a pod from serving: "Pending", "ImagePullBackOff: <message>", "CrashLoopBackOff: <last log lines>". */
function podState(pod: V1Pod): string {
  const container = pod.status?.containerStatuses?.[0];
  const waiting = container?.state?.waiting;
  const last = container?.lastState?.terminated?.message?.trim().split('\n').slice(-2).join(' ');
  const detail = last || waiting?.message;
  if (waiting) return `${waiting.reason ?? 'Waiting'}${detail ? `: ${detail}` : ''}`;
  return pod.status?.phase ?? 'Unknown';
}

/** "name on node: state" for each pod that does not serve. */
export function notServing(pods: readonly V1Pod[]): string[] {
  return pods.filter((p) => !isPodReady(p)).map((p) => `${p.metadata!.name}${p.spec?.nodeName ? ` on ${p.spec.nodeName}` : ''}: ${podState(p)}`);
}

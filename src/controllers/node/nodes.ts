// Nodes as the cluster's API sees them: readiness, the labels and taints kubesmith manages on them
// (kept apart from everyone else's by annotations that list what it set), and taking a Node away.
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { MERGE_PATCH, type WorkloadApi } from '../../workload/api.ts';
import type { NodeTaint } from './plan.ts';

export const MANAGED_LABELS_ANNOTATION = 'kubesmith.io/managed-labels';
export const MANAGED_TAINTS_ANNOTATION = 'kubesmith.io/managed-taints';

export async function listNodes(api: WorkloadApi): Promise<Map<string, V1Node>> {
  const list = await api.json<{ items: V1Node[] }>('GET', '/api/v1/nodes');
  return new Map(list.items.map((n) => [n.metadata!.name!, n]));
}

export function nodePath(name: string): string {
  return `/api/v1/nodes/${encodeURIComponent(name)}`;
}

export function isNodeReady(node: V1Node | undefined): boolean {
  return node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Why a Node is not Ready, in the kubelet's words. */
export function notReadyReason(node: V1Node | undefined): string {
  if (!node) return 'not registered; see `journalctl -u kubelet` on the host';
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return ready ? `${ready.reason ?? 'NotReady'}: ${ready.message ?? ''}`.trim() : 'no Ready condition yet';
}

const taintId = (t: { key: string; effect: string }) => `${t.key}:${t.effect}`;

/**
 * The merge patch that makes the Node carry the wanted labels and taints, removing those kubesmith
 * set before and no longer wants, and leaving every other label and taint alone; undefined when the
 * Node already matches. Taints are a list without merge keys, so the whole list is sent with the
 * Node's resourceVersion: a concurrent change (the node lifecycle controller's not-ready taint) makes
 * the patch fail with a conflict instead of being lost.
 */
export function nodeMetadataPatch(node: V1Node, labels: Record<string, string>, taints: readonly NodeTaint[]): object | undefined {
  const annotations = node.metadata?.annotations ?? {};
  const previousLabels = (annotations[MANAGED_LABELS_ANNOTATION] ?? '').split(',').filter(Boolean);
  const previousTaints = new Set((annotations[MANAGED_TAINTS_ANNOTATION] ?? '').split(',').filter(Boolean));
  const current = node.metadata?.labels ?? {};
  const labelPatch: Record<string, string | null> = {};
  for (const key of previousLabels) if (!(key in labels) && key in current) labelPatch[key] = null;
  for (const [key, value] of Object.entries(labels)) if (current[key] !== value) labelPatch[key] = value;
  const wantedIds = new Set(taints.map(taintId));
  const existing = node.spec?.taints ?? [];
  const kept = existing.filter((t) => !(previousTaints.has(taintId(t)) && !wantedIds.has(taintId(t))) && !wantedIds.has(taintId(t)));
  const nextTaints: V1Taint[] = [...kept, ...taints.map((t) => ({ key: t.key, effect: t.effect, ...(t.value === undefined ? {} : { value: t.value }) }))];
  const sameTaints =
    nextTaints.length === existing.length &&
    nextTaints.every((t) => existing.some((e) => taintId(e) === taintId(t) && (e.value ?? '') === (t.value ?? '')));
  const labelList = Object.keys(labels).sort().join(',');
  const taintList = [...wantedIds].sort().join(',');
  const sameAnnotations = (annotations[MANAGED_LABELS_ANNOTATION] ?? '') === labelList && (annotations[MANAGED_TAINTS_ANNOTATION] ?? '') === taintList;
  if (Object.keys(labelPatch).length === 0 && sameTaints && sameAnnotations) return undefined;
  return {
    metadata: {
      resourceVersion: node.metadata?.resourceVersion,
      labels: labelPatch,
      annotations: { [MANAGED_LABELS_ANNOTATION]: labelList, [MANAGED_TAINTS_ANNOTATION]: taintList },
    },
    ...(sameTaints ? {} : { spec: { taints: nextTaints } }),
  };
}

/** Applies nodeMetadataPatch; true when the Node changed. */
export async function syncNodeMetadata(api: WorkloadApi, node: V1Node, labels: Record<string, string>, taints: readonly NodeTaint[]): Promise<boolean> {
  const patch = nodeMetadataPatch(node, labels, taints);
  if (!patch) return false;
  await api.json('PATCH', nodePath(node.metadata!.name!), patch, MERGE_PATCH);
  return true;
}

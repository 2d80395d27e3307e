// Conformance-lite: what a user expects of a cluster's network and DNS, checked from inside pods
// with the netcheck image (hack/images/netcheck): a pod on every Node, pod to pod across Nodes by
// IP, a ClusterIP and a NodePort Service answering a pod on another Node, and names resolving
// through cluster DNS, both the cluster's own and one outside it (through the upstream the
// kubelet's resolv.conf names).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { waitFor } from './wait.ts';

export type Kubectl = (...args: string[]) => Promise<string>;

const scratch = mkdtempSync(join(tmpdir(), 'kubesmith-conformance-'));
let counter = 0;

export async function applyJson(kubectl: Kubectl, object: object): Promise<void> {
  const file = join(scratch, `m-${++counter}.json`);
  writeFileSync(file, JSON.stringify(object));
  await kubectl('apply', '-f', file);
}

export async function nodeAddresses(kubectl: Kubectl): Promise<Map<string, string>> {
  const nodes = (JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: V1Node[] }).items;
  return new Map(nodes.map((n) => [n.metadata!.name!, n.status!.addresses!.find((a) => a.type === 'InternalIP')!.address]));
}

/** `netcheck-<node>` on each Node (label app=netcheck), Ready; returns the pods' IPs by Node. */
export async function podOnEveryNode(kubectl: Kubectl, nodes: readonly string[], image: string, label = 'netcheck'): Promise<Map<string, string>> {
  for (const node of nodes) {
    await applyJson(kubectl, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${label}-${node}`, labels: { app: label } },
      spec: { nodeName: node, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'netcheck', image, ports: [{ containerPort: 8080 }] }] },
    });
  }
  await kubectl('wait', '--for=condition=Ready', 'pod', '-l', `app=${label}`, '--timeout=180s');
  const pods = (JSON.parse(await kubectl('get', 'pods', '-l', `app=${label}`, '-o', 'json')) as { items: V1Pod[] }).items;
  return new Map(pods.map((p) => [p.spec!.nodeName!, p.status!.podIP!]));
}

export const netcheck = (kubectl: Kubectl, pod: string, ...args: string[]) => kubectl('exec', pod, '--', '/netcheck', ...args).then((out) => out.trim());

/** Every pod reaches every other by IP, each answering with its own name. */
export async function expectPodToPod(kubectl: Kubectl, ips: ReadonlyMap<string, string>, label = 'netcheck'): Promise<void> {
  for (const from of ips.keys()) {
    for (const [to, ip] of ips) {
      if (to === from) continue;
      expect(await netcheck(kubectl, `${label}-${from}`, 'get', `http://${ip}:8080`), `${from} -> ${to}`).toBe(`${label}-${to}`);
    }
  }
}

/**
 * A NodePort Service `netcheck` in front of the pods: its ClusterIP and its NodePort on the Node
 * `to` answer the pod on `from` (kube-proxy writes a new Service's rules within a second or so; a
 * client retries as this one does).
 */
export async function expectServices(kubectl: Kubectl, from: string, to: string, label = 'netcheck'): Promise<void> {
  await applyJson(kubectl, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: label },
    spec: { type: 'NodePort', selector: { app: label }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const service = JSON.parse(await kubectl('get', 'service', label, '-o', 'json')) as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
  const pods = [...(await nodeAddresses(kubectl)).keys()].map((n) => `${label}-${n}`);
  const answer = (url: string) => () => netcheck(kubectl, `${label}-${from}`, 'get', url).catch(() => '');
  expect(pods).toContain(await waitFor('the ClusterIP to answer', answer(`http://${service.spec.clusterIP}`), 60_000, 500));
  const toAddress = (await nodeAddresses(kubectl)).get(to)!;
  expect(pods).toContain(await waitFor('the NodePort to answer', answer(`http://${toAddress}:${service.spec.ports[0]!.nodePort}`), 60_000, 500));
}

/**
 * From the pod on `from`: the API's Service name in full, the `netcheck` Service by its short name
 * (the pod's search list), and a name outside the cluster, which CoreDNS forwards upstream.
 */
export async function expectDns(kubectl: Kubectl, from: string, dnsDomain: string, outside: { name: string; address: string }, label = 'netcheck'): Promise<void> {
  const pod = `${label}-${from}`;
  const kubernetes = JSON.parse(await kubectl('get', 'service', 'kubernetes', '-o', 'json')) as { spec: { clusterIP: string } };
  const service = JSON.parse(await kubectl('get', 'service', label, '-o', 'json')) as { spec: { clusterIP: string } };
  expect(await netcheck(kubectl, pod, 'resolve', `kubernetes.default.svc.${dnsDomain}`)).toBe(kubernetes.spec.clusterIP);
  expect(await netcheck(kubectl, pod, 'resolve', label)).toBe(service.spec.clusterIP);
  expect(await netcheck(kubectl, pod, 'resolve', outside.name)).toBe(outside.address);
  // Through DNS, not only a lookup: the Service answers by name.
  expect(await netcheck(kubectl, pod, 'get', `http://${label}.default.svc.${dnsDomain}`)).toMatch(new RegExp(`^${label}-`));
}

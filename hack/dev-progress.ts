// What the dev environment's cluster waits for, read from the management API server and from the
// cluster itself: one line per kubesmith resource with the condition that is not True yet, the
// Nodes, and DNS.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { kubectlWith } from './dev-exec.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface KubesmithObject {
  kind: string;
  metadata: { name: string };
  status?: { conditions?: Condition[]; kubeconfigSecretRef?: { name: string } };
}

interface NodeObject {
  metadata: { name: string };
  status?: { conditions?: Condition[] };
}

export interface ClusterAccess {
  /** The management API server's kubeconfig and a kubectl for both clusters. */
  kubeconfig: string;
  kubectl: string;
  /** Where the workload cluster's kubeconfig is written once its Secret exists. */
  clusterKubeconfig: string;
}

export interface ProgressLine {
  key: string;
  /** `Kind name: Type Status Reason` of the first condition not True yet, or `Kind name: Ready`. */
  text: string;
  done: boolean;
  /** Why the resource is Stalled: what a person must fix. */
  stalled?: { reason: string; message: string };
}

export interface ClusterView {
  lines: ProgressLine[];
  /** `absent`: the ControlPlane has no CoreDNSReady condition, so this operator does not manage DNS. */
  dns: 'absent' | 'waiting' | 'ready';
  done: boolean;
}

/** Conditions that are True when something is wrong or still going on, unlike all the others. */
const NEGATIVE = new Set(['Reconciling', 'Stalled', 'CleanupPending']);
const ORDER = ['MachineHost', 'ControlPlane', 'WorkerPool', 'NetworkAddon'];

/** `Ready`, or the first condition that is not True yet (its type, status and reason); and the Stalled condition if it is True. */
export function summarize(conditions: Condition[] | undefined): Pick<ProgressLine, 'text' | 'done' | 'stalled'> {
  if (!conditions?.length) return { text: 'no status yet', done: false };
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { text: 'Ready', done: true };
  const waiting = conditions.find((c) => !NEGATIVE.has(c.type) && c.type !== 'Ready' && c.status !== 'True') ?? ready;
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  return {
    text: waiting ? [waiting.type, waiting.status, waiting.reason].filter(Boolean).join(' ') : 'not Ready',
    done: false,
    ...(stalled ? { stalled: { reason: stalled.reason ?? 'Stalled', message: stalled.message ?? '' } } : {}),
  };
}

function writeClusterKubeconfig(access: ClusterAccess, secret: string): void {
  const data = JSON.parse(kubectlWith(access.kubectl, access.kubeconfig, ['get', 'secret', secret, '-o', 'json'])) as { data?: { value?: string } };
  if (!data.data?.value) return;
  const kubeconfig = Buffer.from(data.data.value, 'base64').toString('utf8');
  if (!existsSync(access.clusterKubeconfig) || readFileSync(access.clusterKubeconfig, 'utf8') !== kubeconfig) {
    writeFileSync(access.clusterKubeconfig, kubeconfig, { mode: 0o600 });
  }
}

const message = (error: unknown) => (error as Error).message.split('\n')[0]!;

/** Reads the resources of the ControlPlane `name` and its cluster; writes the cluster's kubeconfig when it is published. */
export function readCluster(access: ClusterAccess, name: string, expectedNodes: number): ClusterView {
  const lines: ProgressLine[] = [];
  let objects: KubesmithObject[];
  try {
    const list = kubectlWith(access.kubectl, access.kubeconfig, [
      'get',
      'machinehosts.kubesmith.io,controlplanes.kubesmith.io,workerpools.kubesmith.io,networkaddons.kubesmith.io',
      '-o',
      'json',
    ]);
    objects = (JSON.parse(list) as { items: KubesmithObject[] }).items;
  } catch (error) {
    return { lines: [{ key: 'management', text: `the management API server did not answer: ${message(error)}`, done: false }], dns: 'waiting', done: false };
  }
  objects.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
  for (const o of objects) {
    const { text, ...rest } = summarize(o.status?.conditions);
    lines.push({ key: `${o.kind}/${o.metadata.name}`, text: `${o.kind} ${o.metadata.name}: ${text}`, ...rest });
  }

  const controlPlane = objects.find((o) => o.kind === 'ControlPlane' && o.metadata.name === name);
  const secret = controlPlane?.status?.kubeconfigSecretRef?.name;
  if (secret) {
    try {
      writeClusterKubeconfig(access, secret);
    } catch {
      // The next round reads it again.
    }
  }
  let nodesDone = false;
  if (!existsSync(access.clusterKubeconfig)) {
    lines.push({ key: 'nodes', text: `Nodes: waiting for ControlPlane ${name} to publish the cluster's kubeconfig`, done: false });
  } else {
    try {
      const nodes = (JSON.parse(kubectlWith(access.kubectl, access.clusterKubeconfig, ['get', 'nodes', '-o', 'json'], '5s')) as { items: NodeObject[] }).items;
      const notReady = nodes.flatMap((n) => {
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' ? [] : [`${n.metadata.name} ${ready ? `${ready.status} ${ready.reason ?? ''}`.trim() : 'registering'}`];
      });
      nodesDone = nodes.length >= expectedNodes && notReady.length === 0;
      const names = nodes.map((n) => n.metadata.name).sort().join(', ');
      lines.push({
        key: 'nodes',
        text: `Nodes: ${nodes.length - notReady.length}/${expectedNodes} Ready${notReady.length ? ` (not Ready: ${notReady.join(', ')})` : nodes.length ? ` (${names})` : ''}`,
        done: nodesDone,
      });
    } catch (error) {
      lines.push({ key: 'nodes', text: `Nodes: the cluster's API server did not answer: ${message(error)}`, done: false });
    }
  }

  const coreDNS = controlPlane?.status?.conditions?.find((c) => c.type === 'CoreDNSReady');
  let dns: ClusterView['dns'] = 'absent';
  if (coreDNS) {
    dns = 'waiting';
    if (coreDNS.status === 'True' && existsSync(access.clusterKubeconfig)) {
      const ready = kubeDnsReadyEndpoints(access);
      dns = ready > 0 ? 'ready' : 'waiting';
      lines.push({ key: 'dns', text: ready > 0 ? `DNS: the kube-dns Service has ${ready} ready endpoint${ready === 1 ? '' : 's'}` : 'DNS: the kube-dns Service has no ready endpoint yet', done: ready > 0 });
    }
  }
  return { lines, dns, done: nodesDone && dns !== 'waiting' };
}

/** Ready addresses behind the kube-dns Service, from its EndpointSlices; 0 when it cannot tell. */
function kubeDnsReadyEndpoints(access: ClusterAccess): number {
  try {
    const out = kubectlWith(access.kubectl, access.clusterKubeconfig, ['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'], '5s');
    const slices = (JSON.parse(out) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }).items;
    return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).reduce((n, e) => n + e.addresses.length, 0);
  } catch {
    return 0;
  }
}

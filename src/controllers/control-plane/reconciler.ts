// The ControlPlane reconcile: claim hosts, PKI, etcd; every condition set from the first run and
// status written once at the end, whatever happened. Deletion is a separate path.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ArtifactCache } from '../../artifacts/index.ts';
import type { ControlPlane, ControlPlaneStatus, MachineHost } from '../../api/index.ts';
import type { HostChange, SshPool } from '../../host/index.ts';
import { setCondition, summarize, type ConditionInput } from '../../runtime/conditions.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { applyStatus } from '../../runtime/status.ts';
import { target } from '../machine-host/reconciler.ts';
import { controlPlaneResource } from '../resources.ts';
import { claimHost, ownsHost, planClaims, releaseHost } from './claim.ts';
import { OWNED, PHASE_CONDITIONS, initialConditions, type Conditions } from './conditions.ts';
import type { OnHost } from './etcd-cluster.ts';
import { runEtcdPhase } from './etcd-phase.ts';
import { removeSurplus } from './etcd-scale-down.ts';
import { memberOf, type Member } from './members.ts';
import { runPkiPhase } from './pki-phase.ts';

export const FINALIZER = 'kubesmith.io/controlplane';
export const FIELD_MANAGER = 'kubesmith-controlplane';

export interface ControlPlaneDeps {
  client: KubeClient;
  controlPlanes: Informer<ControlPlane>;
  hosts: Informer<MachineHost>;
  secrets: Informer<V1Secret & KubernetesObject>;
  pool: SshPool;
  artifacts: ArtifactCache;
  events: EventRecorder;
  /** How often a converged control plane is checked again. */
  recheckIntervalMs: number;
  /** How soon a waiting or failing one is tried again. */
  retryMs: number;
}

interface Outcome {
  conditions: Conditions;
  status: ControlPlaneStatus;
  changes: (HostChange & { member: string })[];
  created: string[];
  settled: boolean;
}

interface Claimed {
  members: Member[];
  surplus: Member[];
}

async function claimedMembers(deps: ControlPlaneDeps, cp: ControlPlane, out: Outcome): Promise<Claimed | undefined> {
  const plan = planClaims(cp, deps.hosts.list());
  const want = cp.spec.replicas;
  if (plan.missing > 0) {
    const message =
      `needs ${want} Ready MachineHost${want === 1 ? '' : 's'} in ${cp.metadata.namespace} matching spec.hostSelector and claimed by nobody else; ` +
      `${want - plan.missing} available, ${plan.missing} missing`;
    out.conditions.HostsClaimed = { type: 'HostsClaimed', status: 'False', reason: 'WaitingForHosts', message };
    return undefined;
  }
  for (const host of plan.toClaim) {
    if (!(await claimHost(deps.client, cp, host))) {
      const message = `${host.metadata.name} was claimed by another owner at the same time; another host is picked on the next try`;
      out.conditions.HostsClaimed = { type: 'HostsClaimed', status: 'False', reason: 'HostClaimedElsewhere', message };
      return undefined;
    }
  }
  const members = plan.members.map(memberOf);
  const surplus = plan.surplus.map(memberOf);
  out.status.replicas = members.length;
  const names = members.map((m) => m.name).join(', ');
  const leaving = surplus.length > 0 ? `; giving back ${surplus.map((m) => m.name).join(', ')} once out of etcd` : '';
  out.conditions.HostsClaimed = { type: 'HostsClaimed', status: 'True', reason: 'HostsClaimed', message: `claimed ${names}${leaving}` };
  return { members, surplus };
}

/** Surplus members leave etcd and their hosts are given back; a refusal (no quorum) is a condition. */
async function scaleDown(deps: ControlPlaneDeps, cp: ControlPlane, claimed: Claimed, onHost: OnHost): Promise<ConditionInput | undefined> {
  try {
    await removeSurplus(onHost, claimed.members, claimed.surplus, cp.spec.etcd.dataDir);
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    if (typeof reason !== 'string') throw error;
    return { type: 'EtcdClusterHealthy', status: 'False', reason, message: (error as Error).message };
  }
  for (const member of claimed.surplus) await releaseHost(deps.client, cp, member.host);
  return undefined;
}

async function converge(deps: ControlPlaneDeps, cp: ControlPlane, out: Outcome, log: ReconcileContext['log']): Promise<void> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const claimed = await claimedMembers(deps, cp, out);
  if (!claimed) return;
  const { members } = claimed;
  const onHost: OnHost = (member, work) =>
    deps.pool.withHost(target(deps, member.host), work, { observer: (change) => out.changes.push({ ...change, member: member.name }) });
  const pki = await runPkiPhase(deps.client, cp, members, onHost);
  log.debug({ ms: took(), certificates: pki.condition.reason }, 'PKI phase done');
  out.created = pki.material?.created ?? [];
  out.conditions.CertificatesReady = pki.condition;
  if (pki.certificates) out.status.certificates = pki.certificates;
  const endpoint = cp.spec.endpoint ?? { host: members[0]!.ip, port: 6443 };
  out.status.endpoint = `${endpoint.host}:${endpoint.port}`;
  const certificatesReady = pki.condition.status === 'True';
  const refused = certificatesReady && claimed.surplus.length > 0 ? await scaleDown(deps, cp, claimed, onHost) : undefined;
  const etcd = await runEtcdPhase(cp, members, deps.artifacts, onHost, certificatesReady);
  log.debug({ ms: took(), etcd: etcd.condition.reason }, 'etcd phase done');
  out.conditions.EtcdClusterHealthy = refused ?? etcd.condition;
  if (etcd.members) out.status.etcdMembers = etcd.members;
  out.settled = !refused && etcd.condition.status === 'True' && certificatesReady;
}

/** Puts an error on the condition of the first phase that has not finished. */
function recordFailure(out: Outcome, error: Error & { reason?: string }): void {
  const initial = initialConditions();
  const phase =
    PHASE_CONDITIONS.find((type) => out.conditions[type].reason === initial[type].reason && out.conditions[type].status === 'Unknown') ??
    'EtcdClusterHealthy';
  out.conditions[phase] = { type: phase, status: 'False', reason: error.reason ?? 'Error', message: error.message };
}

async function reconcileDelete(deps: ControlPlaneDeps, cp: ControlPlane): Promise<void> {
  if (!hasFinalizer(cp, FINALIZER)) return;
  // The hosts go back to the pool; what runs on them is left as it is (tearing down is not built yet).
  const held = deps.hosts.list().filter((h) => h.metadata.namespace === cp.metadata.namespace && ownsHost(cp, h));
  for (const host of held) await releaseHost(deps.client, cp, host);
  await removeFinalizer(deps.client, controlPlaneResource, cp, FINALIZER);
}

async function recordEvents(deps: ControlPlaneDeps, cp: ControlPlane, out: Outcome): Promise<void> {
  for (const name of out.created) {
    await deps.events.record(cp, controlPlaneResource, 'Normal', 'SecretCreated', 'Certificates', `created Secret ${name}`);
  }
  for (const change of out.changes) {
    const type = change.exitCode === 0 ? 'Normal' : 'Warning';
    await deps.events.record(cp, controlPlaneResource, type, 'HostChanged', 'Converge', `${change.member}: ${change.description}`);
  }
}

export async function reconcileControlPlane(deps: ControlPlaneDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  let cp = deps.controlPlanes.get(key);
  if (!cp) return;
  if (cp.metadata.deletionTimestamp) return reconcileDelete(deps, cp);
  if (!hasFinalizer(cp, FINALIZER)) cp = await addFinalizer(deps.client, controlPlaneResource, cp, FINALIZER);
  const previous = cp.status ?? {};
  const out: Outcome = {
    conditions: initialConditions(),
    status: {
      replicas: previous.replicas,
      endpoint: previous.endpoint,
      etcdMembers: previous.etcdMembers,
      certificates: previous.certificates,
    },
    changes: [],
    created: [],
    settled: false,
  };
  let unexpected: unknown;
  if (cp.spec.paused) {
    out.conditions.HostsClaimed = { type: 'HostsClaimed', status: 'Unknown', reason: 'Paused', message: 'spec.paused is true; kubesmith leaves this cluster alone' };
  } else {
    try {
      await converge(deps, cp, out, ctx.log);
    } catch (error) {
      if (typeof (error as { reason?: unknown }).reason !== 'string') unexpected = error;
      recordFailure(out, error as Error);
    }
  }
  await recordEvents(deps, cp, out);
  const generation = cp.metadata.generation;
  const inputs: ConditionInput[] = Object.values(out.conditions);
  const rollup = summarize(inputs, 'Available', PHASE_CONDITIONS, '', '');
  // etcd is the last phase built so far: with it healthy the control plane is still not serving.
  inputs.push(
    rollup.status === 'True'
      ? { type: 'Available', status: 'Unknown', reason: 'ApiServerNotInstalled', message: 'etcd is healthy; kube-apiserver, controller-manager and scheduler are not installed by this version' }
      : rollup,
  );
  let conditions = cp.status?.conditions;
  for (const input of inputs) conditions = setCondition(conditions, input, generation);
  const status: ControlPlaneStatus = {
    ...out.status,
    observedGeneration: unexpected ? cp.status?.observedGeneration : generation,
    conditions: (conditions ?? []).filter((c) => (OWNED as readonly string[]).includes(c.type)),
  };
  await applyStatus(deps.client, controlPlaneResource, cp, JSON.parse(JSON.stringify(status)), FIELD_MANAGER);
  ctx.log.debug({ available: inputs.at(-1)?.status }, 'status set');
  if (unexpected) throw unexpected;
  if (cp.spec.paused) return {};
  return { requeueAfterMs: out.settled ? deps.recheckIntervalMs : deps.retryMs };
}

// Makes one host a node: binaries pushed, identities issued, configuration written, units started,
// and a unit whose files changed under it restarted. Every step compares before it writes, so a
// host that already is the node the plan describes costs a few reads and changes nothing.
import { pushArtifact, type Artifact } from '../../artifacts/index.ts';
import { KubesmithError } from '../../errors.ts';
import { shellJoin, shellQuote, writeFiles, type HostSession } from '../../host/index.ts';
import { convergeHostPki, nodePkiSlots, type HostPkiInput } from '../control-plane/pki/host-pki.ts';
import { removeBridge } from '../network-addon/bridge.ts';
import { removeFlannelHost } from '../network-addon/flannel/host.ts';
import { removeFiles } from '../remote-files.ts';
import { staleUnitsIn, staleUnitsScript } from '../units/stale-units.ts';
import { CONTAINERD_BINARY } from './containerd-unit.ts';
import { nodeFiles, NODE_UNIT_PATHS, NODE_UNITS, UNIT_INPUTS, type NodeUnit } from './files.ts';
import { KUBE_PROXY_BINARY } from './kube-proxy.ts';
import { KUBELET_BINARY } from './kubelet.ts';
import { NODE_PATHS } from './paths.ts';
import type { NodePlan } from './plan.ts';

export interface NodeInstallInput {
  plan: NodePlan;
  artifacts: readonly Artifact[];
  pki: Omit<HostPkiInput, 'role'>;
}

export interface NodeInstallResult {
  started: NodeUnit[];
  restarted: NodeUnit[];
}

/** A certificate or kubeconfig on the host that kubesmith did not make for this node; left as it is. */
export class NodeCertificateConflictError extends KubesmithError {
  readonly reason = 'CertificateConflict';
  override readonly needsPerson = true;
}

const HOSTS_TOML_MARK = 'Written by kubesmith';

/** Where pods' upstream DNS servers are listed; see kubeletConfig. */
async function resolvConfOf(session: HostSession): Promise<string> {
  const { stdout } = await session.exec(
    `if grep -qE '^nameserver[[:space:]]+127\\.0\\.0\\.53' /etc/resolv.conf 2>/dev/null && [ -s ${NODE_PATHS.resolvedUpstreams} ]; then echo stub; fi`,
  );
  return stdout.trim() === 'stub' ? NODE_PATHS.resolvedUpstreams : '/etc/resolv.conf';
}

/** Mirrors removed from the spec: their hosts.toml goes, others' files stay. */
function staleHostsFiles(plan: NodePlan): string {
  const keep = plan.registryMirrors.map((m) => `${NODE_PATHS.containerdHostsDir}/${m.registry}/hosts.toml`);
  return (
    `for f in ${NODE_PATHS.containerdHostsDir}/*/hosts.toml; do [ -f "$f" ] || continue; ` +
    `case " ${keep.map((p) => p.replace(/[" ]/g, '')).join(' ')} " in *" $f "*) continue;; esac; ` +
    `grep -q ${shellQuote(HOSTS_TOML_MARK)} "$f" && rm -f "$f" && rmdir "$(dirname "$f")" 2>/dev/null && echo "removed:$f"; done; true`
  );
}

export async function installNode(session: HostSession, input: NodeInstallInput): Promise<NodeInstallResult> {
  const { plan } = input;
  const resolvConf = await resolvConfOf(session);
  for (const artifact of input.artifacts) await pushArtifact(session, artifact);
  const pki = await convergeHostPki(session, { ...input.pki, role: plan.role }, nodePkiSlots(plan.role));
  if (pki.conflicts.length > 0) {
    throw new NodeCertificateConflictError(
      `${plan.nodeName} has node certificates kubesmith did not make: ${pki.conflicts.map((c) => c.message).join('; ')}; move them away to have them made anew`,
    );
  }
  const files = nodeFiles(plan, resolvConf);
  const written = await writeFiles(session, files);
  const removed = await session.check(staleHostsFiles(plan));
  if (removed.stdout.trim()) session.recordChange('removed registry mirrors no longer in spec.registryMirrors', 'rm hosts.toml', 0, removed.durationMs);
  if (written.some((w) => w.changed && NODE_UNIT_PATHS.includes(w.path))) {
    await session.check(`install -d ${NODE_PATHS.cniConfDir} && systemctl daemon-reload`, { changes: 'reloaded systemd units' });
  }
  const units = NODE_UNITS.map((unit) => ({ unit, files: UNIT_INPUTS[unit] }));
  const { stdout } = await session.exec(
    `for u in ${shellJoin(NODE_UNITS)}; do systemctl is-active --quiet "$u" && echo "active:$u"; done; ${staleUnitsScript(units)}; true`,
  );
  const active = new Set(stdout.split('\n').filter((l) => l.startsWith('active:')).map((l) => l.slice('active:'.length)));
  const stale = staleUnitsIn(stdout);
  const started = NODE_UNITS.filter((u) => !active.has(u));
  const restarted = NODE_UNITS.filter((u) => active.has(u) && stale.has(u));
  if (started.length > 0) {
    // --no-block: the Node's registration, read from the API, says when the kubelet is up.
    await session.check(`systemctl enable ${shellJoin(started)} && systemctl start --no-block ${shellJoin(started)}`, { changes: `started ${started.join(', ')}` });
  }
  if (restarted.length > 0) {
    // No rolling needed: containerd keeps its containers across a restart (KillMode=process), and a
    // restarted kubelet or kube-proxy picks up the pods and rules it left.
    await session.check(`systemctl restart --no-block ${shellJoin(restarted)}`, { changes: `restarted ${restarted.join(', ')} for changed settings` });
  }
  return { started, restarted };
}

/**
 * Takes the node off the host: pods stopped (the kubepods slice holds every pod's processes with the
 * systemd cgroup driver), kube-proxy's rules flushed, units stopped, mounts the kubelet and containerd
 * made undone, and every file kubesmith put there removed. Images and container state go too.
 */
export async function removeNode(session: HostSession, role: NodePlan['role']): Promise<void> {
  const stop =
    'n=0; for u in kubelet kube-proxy; do if systemctl cat "$u" >/dev/null 2>&1; then systemctl disable --now "$u" >/dev/null 2>&1; systemctl reset-failed "$u" 2>/dev/null; n=$((n+1)); fi; done; ' +
    'systemctl stop kubepods.slice 2>/dev/null; ' +
    `if [ -x ${KUBE_PROXY_BINARY} ]; then ${KUBE_PROXY_BINARY} --cleanup >/dev/null 2>&1; fi; ` +
    'if systemctl cat containerd >/dev/null 2>&1; then systemctl disable --now containerd >/dev/null 2>&1; systemctl reset-failed containerd 2>/dev/null; n=$((n+1)); fi; ' +
    // By process name (-x; the kernel keeps 15 characters): -f would match this very script.
    'pkill -KILL -x containerd-shim 2>/dev/null; ' +
    // The kubelet bind-mounts its own directory to share mounts with pods, so that one goes too; a
    // mount on /var/lib/containerd itself is the host's (a volume in the test hosts) and stays.
    "findmnt -rn -o TARGET | grep -E '^/(var/lib/kubelet|run/containerd)(/|$)|^/var/lib/containerd/' | sort -r | xargs -r -n1 umount -l 2>/dev/null; " +
    'echo $n';
  const stopped = await session.check(stop, { timeoutMs: 120_000 });
  if (Number(stopped.stdout.trim()) > 0) session.recordChange('stopped kubelet, kube-proxy and containerd', stop, 0, stopped.durationMs);
  const files = [
    ...NODE_UNIT_PATHS,
    CONTAINERD_BINARY,
    '/usr/local/bin/containerd-shim-runc-v2',
    '/usr/local/bin/ctr',
    '/usr/local/sbin/runc',
    KUBELET_BINARY,
    KUBE_PROXY_BINARY,
    NODE_PATHS.containerdConfig,
    NODE_PATHS.kubeletConfig,
    NODE_PATHS.kubeProxyConfig,
    ...nodePkiSlots(role).map((s) => s.path),
  ];
  if (await removeFiles(session, files, 'removed the node binaries, units and configuration')) await session.check('systemctl daemon-reload');
  const state =
    `rm -rf ${NODE_PATHS.cniBinDir} /var/lib/kubelet /var/lib/kube-proxy /run/containerd /var/lib/cni ${NODE_PATHS.containerdHostsDir} && ` +
    // In the test hosts /var/lib/containerd is a volume mount: empty it rather than remove it.
    'if [ -d /var/lib/containerd ]; then find /var/lib/containerd -mindepth 1 -maxdepth 1 -exec rm -rf {} +; fi; ' +
    'true';
  await session.check(state, { timeoutMs: 120_000 });
  // A pod network kubesmith set up on this host goes with the node (flanneld stopped with the pods).
  await removeBridge(session);
  await removeFlannelHost(session);
}

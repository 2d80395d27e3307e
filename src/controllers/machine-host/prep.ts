// Host preparation as a pure plan over the probe, then an apply that runs only the plan's steps.
// A host that already matches yields an empty plan, so a re-check changes nothing.
import { writeFile, type FileSpec, type HostSession } from '../../host/index.ts';
import type { OperatingSystem } from '../../host/os/index.ts';
import { shellQuote } from '../../host/index.ts';
import { MANAGED_FILES, MODULES, SYSCTLS, type Probe } from './probe.ts';

export type PrepStep =
  | { kind: 'command'; what: string; command: string }
  | { kind: 'file'; what: string; spec: FileSpec };

export interface PrepPlan {
  steps: PrepStep[];
  /** Problems no step can fix; the host cannot be prepared until a person fixes them. */
  blockers: string[];
  /** What the host looks like once the plan is applied, for the condition message. */
  summary: string[];
}

export const SYSCTL_CONTENT = `# Managed by kubesmith: bridged traffic through iptables, and IP forwarding, as Kubernetes needs.\n${SYSCTLS.map((k) => `${k} = 1`).join('\n')}\n`;
export const MODULES_CONTENT = `# Managed by kubesmith: kernel modules container networking needs.\n${MODULES.join('\n')}\n`;

// Comments out active swap entries, keeping a backup, so swap stays off after a reboot.
const FSTAB_SWAP_SED =
  "sed -ri.kubesmith-bak 's/^([[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$/# \\1  # disabled by kubesmith/' /etc/fstab";

export function planPrep(probe: Probe, hostname: string, os: OperatingSystem): PrepPlan {
  const steps: PrepStep[] = [];
  const blockers: string[] = [];
  const summary: string[] = [];

  if (probe.swaps.length) steps.push({ kind: 'command', what: `turned swap off (${probe.swaps.join(', ')})`, command: 'swapoff -a' });
  if (probe.fstabSwapLines) {
    steps.push({ kind: 'command', what: `commented out ${probe.fstabSwapLines} swap line(s) in /etc/fstab`, command: FSTAB_SWAP_SED });
  }
  summary.push('swap off');

  const missing = MODULES.filter((m) => !probe.modules[m]);
  if (missing.length && !probe.modulesLoadable) {
    blockers.push(`kernel ${probe.kernel} has no ${missing.join(' or ')} built in and cannot load modules: use a kernel with them`);
  }
  if (probe.modulesLoadable) {
    for (const m of missing) steps.push({ kind: 'command', what: `loaded kernel module ${m}`, command: `modprobe ${m}` });
    steps.push({ kind: 'file', what: 'persisted kernel modules', spec: { path: MANAGED_FILES.modules, content: MODULES_CONTENT } });
    summary.push(`${MODULES.join(' and ')} loaded`);
  } else if (!missing.length) {
    summary.push(`${MODULES.join(' and ')} built into the kernel`);
  }

  steps.push({ kind: 'file', what: 'persisted sysctls', spec: { path: MANAGED_FILES.sysctl, content: SYSCTL_CONTENT } });
  const wrong = SYSCTLS.filter((k) => probe.sysctls[k] !== '1');
  if (wrong.length && !blockers.length) {
    steps.push({
      kind: 'command',
      what: `set ${wrong.map((k) => `${k}=1`).join(', ')}`,
      command: `sysctl -q ${wrong.map((k) => `-w ${k}=1`).join(' ')}`,
    });
  }
  summary.push('sysctls set');

  if (probe.hostname !== hostname) {
    const name = shellQuote(hostname);
    steps.push({
      kind: 'command',
      what: `set hostname ${hostname} (was ${probe.hostname})`,
      command: `hostname ${name} && printf '%s\\n' ${name} > /etc/hostname`,
    });
  }
  summary.push(`hostname ${hostname}`);

  const units = os.timeSyncUnits.map((u) => u.replace(/\.service$/, ''));
  const unit = units.find((u) => u in probe.timeSyncUnits);
  if (!unit) summary.push(`no time sync service installed (${units.join(' or ')})`);
  else {
    if (probe.timeSyncUnits[unit] !== 'enabled') {
      steps.push({ kind: 'command', what: `enabled time sync (${unit})`, command: `systemctl enable --now ${unit}.service` });
    }
    summary.push(`time sync by ${unit}`);
  }
  return { steps, blockers, summary };
}

/** Applies the plan's steps in order; returns what changed, for the Events and the drift report. */
export async function applyPrep(session: HostSession, plan: PrepPlan, probe: Probe): Promise<string[]> {
  const changed: string[] = [];
  for (const step of plan.steps) {
    if (step.kind === 'command') {
      await session.check(step.command, { changes: step.what });
      changed.push(step.what);
    } else {
      const result = await writeFile(session, step.spec, probe.files[step.spec.path]);
      if (result.changed) changed.push(`${step.what} in ${step.spec.path}`);
    }
  }
  return changed;
}

// Preflight checks, pure: from what the probe found and what other MachineHosts reported, decide
// whether this machine can become a node, and say for each failed check how to fix it.
import type { MachineHost } from '../../api/index.ts';
import type { ConditionInput } from '../../runtime/conditions.ts';
import { KUBERNETES_PORTS, type Probe } from './probe.ts';

export const MIN_CPUS = 2;
export const MIN_MEMORY_BYTES = 1.7 * 1024 ** 3;
export const MAX_CLOCK_OFFSET_MS = 2000;

export interface PreflightInput {
  host: MachineHost;
  probe: Probe;
  clockOffsetMs: number;
  /** Other MachineHosts of the namespace, with the facts they last reported. */
  peers: readonly MachineHost[];
}

export function desiredHostname(host: MachineHost): string {
  return host.spec.hostname ?? host.metadata.name!;
}

function duplicates(input: PreflightInput): string[] {
  const { host, probe, peers } = input;
  const problems: string[] = [];
  const others = peers.filter((p) => p.metadata.uid !== host.metadata.uid);
  const clash = (what: string, value: string | undefined, of: (p: MachineHost) => (string | undefined)[], fix: string) => {
    if (!value) return;
    const names = others.filter((p) => of(p).includes(value)).map((p) => p.metadata.name);
    if (names.length) problems.push(`${what} ${value} is also on ${names.join(', ')}; ${fix}`);
  };
  const cloned = 'the machines look cloned: regenerate it on one of them';
  clash('product_uuid', probe.productUUID, (p) => [p.status?.facts?.productUUID], cloned);
  clash('machine-id', probe.machineID, (p) => [p.status?.facts?.machineID], `${cloned} (rm /etc/machine-id; systemd-machine-id-setup)`);
  for (const mac of probe.macAddresses) clash('MAC address', mac, (p) => p.status?.facts?.macAddresses ?? [], cloned);
  clash('hostname', desiredHostname(host), (p) => [desiredHostname(p)], 'give each MachineHost its own spec.hostname');
  return problems;
}

export function preflight(input: PreflightInput): ConditionInput {
  const { host, probe, clockOffsetMs } = input;
  const failed: string[] = [];
  const warnings: string[] = [];
  if (probe.cpus < MIN_CPUS) failed.push(`${probe.cpus} CPU found, at least ${MIN_CPUS} needed: give the machine more CPUs`);
  if (probe.memoryBytes < MIN_MEMORY_BYTES) {
    const gib = (probe.memoryBytes / 1024 ** 3).toFixed(1);
    failed.push(`${gib} GiB of memory found, at least 1.7 GiB needed: give the machine more memory`);
  }
  // Once kubesmith has installed components on a claimed host, they hold these ports themselves.
  if (!host.status?.consumerRef) {
    const busy = KUBERNETES_PORTS.filter((p) => probe.listeningPorts.includes(p));
    if (busy.length) failed.push(`port ${busy.join(', ')} already in use: stop whatever listens there (ss -ltnp shows it)`);
  }
  failed.push(...duplicates(input));
  if (probe.cgroupVersion === 1) warnings.push('cgroup v1 found; Kubernetes is moving to cgroup v2-only, so boot with systemd.unified_cgroup_hierarchy=1');
  if (Math.abs(clockOffsetMs) > MAX_CLOCK_OFFSET_MS) {
    warnings.push(`clock is ${(clockOffsetMs / 1000).toFixed(1)} s off the operator's; enable time sync (chrony or systemd-timesyncd)`);
  }
  if (failed.length) {
    return { type: 'PreflightPassed', status: 'False', reason: 'ChecksFailed', message: failed.join('; ') };
  }
  if (warnings.length) {
    return { type: 'PreflightPassed', status: 'True', reason: 'PassedWithWarnings', message: `warnings: ${warnings.join('; ')}` };
  }
  return { type: 'PreflightPassed', status: 'True', reason: 'Passed', message: 'every check passed' };
}

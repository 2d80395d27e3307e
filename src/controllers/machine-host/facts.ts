import type { MachineHostStatus } from '../../api/index.ts';
import type { OperatingSystem } from '../../host/os/index.ts';
import { goArch, type Probe } from './probe.ts';

export function toFacts(probe: Probe, os: OperatingSystem | undefined, clockOffsetMs: number): NonNullable<MachineHostStatus['facts']> {
  return {
    os: os ? { id: os.id, versionId: os.versionId, prettyName: os.prettyName } : undefined,
    kernel: probe.kernel,
    arch: goArch(probe.machine),
    cpus: probe.cpus,
    memoryBytes: probe.memoryBytes,
    productUUID: probe.productUUID,
    machineID: probe.machineID,
    hostname: probe.hostname,
    macAddresses: probe.macAddresses,
    cgroupVersion: probe.cgroupVersion,
    container: probe.container,
    swapBytes: probe.swapBytes,
    clockOffsetMilliseconds: Math.round(clockOffsetMs),
    containerRuntime: probe.runtime,
  };
}

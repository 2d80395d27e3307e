import { describe, expect, it } from 'vitest';
import type { MachineHost } from '../../../src/api/index.ts';
import { preflight } from '../../../src/controllers/machine-host/preflight.ts';
import { parseProbe } from '../../../src/controllers/machine-host/probe.ts';
import { containerProbe } from './fixtures.ts';

function host(name: string, facts: NonNullable<MachineHost['status']>['facts'] = {}, spec: Partial<MachineHost['spec']> = {}): MachineHost {
  return {
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'MachineHost',
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    spec: { address: '192.0.2.1', port: 22, user: 'root', sshKeySecretRef: { name: 's', key: 'k' }, paused: false, ...spec },
    status: { facts },
  };
}

const probe = parseProbe(containerProbe);
const cgroupV2 = parseProbe(containerProbe.replace('cgroup_fs=tmpfs', 'cgroup_fs=cgroup2fs'));

describe('preflight', () => {
  it('passes a good host, warning about cgroup v1', () => {
    const c = preflight({ host: host('a'), probe, clockOffsetMs: 5, peers: [] });
    expect(c).toMatchObject({ status: 'True', reason: 'PassedWithWarnings' });
    expect(c.message).toContain('cgroup v1');
    expect(preflight({ host: host('a'), probe: cgroupV2, clockOffsetMs: 5, peers: [] })).toMatchObject({ status: 'True', reason: 'Passed' });
  });

  it('warns about a clock more than 2 s off', () => {
    const c = preflight({ host: host('a'), probe: cgroupV2, clockOffsetMs: -3500, peers: [] });
    expect(c).toMatchObject({ status: 'True', reason: 'PassedWithWarnings' });
    expect(c.message).toContain('clock is -3.5 s off');
  });

  it('names each failed check and how to fix it', () => {
    const small = { ...cgroupV2, cpus: 1, memoryBytes: 1024 ** 3, listeningPorts: [22, 6443, 10250] };
    const c = preflight({ host: host('a'), probe: small, clockOffsetMs: 0, peers: [] });
    expect(c.status).toBe('False');
    expect(c.reason).toBe('ChecksFailed');
    expect(c.message).toContain('1 CPU found, at least 2 needed');
    expect(c.message).toContain('1.0 GiB of memory found, at least 1.7 GiB needed');
    expect(c.message).toContain('port 6443, 10250 already in use');
  });

  it('does not hold a claimed host to free ports, since its own components use them', () => {
    const busy = { ...cgroupV2, listeningPorts: [6443, 2379] };
    const claimed = host('a');
    claimed.status!.consumerRef = { kind: 'ControlPlane', name: 'c' };
    expect(preflight({ host: claimed, probe: busy, clockOffsetMs: 0, peers: [] }).status).toBe('True');
  });

  it('flags a product_uuid, machine-id, MAC or hostname that another MachineHost has', () => {
    const withUuid = { ...cgroupV2, productUUID: 'U-1' };
    const twin = host('b', { productUUID: 'U-1', machineID: probe.machineID, macAddresses: ['02:42:ac:11:00:02'] });
    const c = preflight({ host: host('a'), probe: withUuid, clockOffsetMs: 0, peers: [host('a'), twin] });
    expect(c.status).toBe('False');
    expect(c.message).toContain('product_uuid U-1 is also on b');
    expect(c.message).toContain(`machine-id ${probe.machineID} is also on b`);
    expect(c.message).toContain('MAC address 02:42:ac:11:00:02 is also on b');
    const sameName = host('c', {}, { hostname: 'a' });
    expect(preflight({ host: host('a'), probe: cgroupV2, clockOffsetMs: 0, peers: [sameName] }).message).toContain('hostname a is also on c');
  });
});

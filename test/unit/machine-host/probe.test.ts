import { describe, expect, it } from 'vitest';
import { parseProbe } from '../../../src/controllers/machine-host/probe.ts';
import { containerProbe } from './fixtures.ts';


describe('parseProbe', () => {
  it('reads what a Debian test host reported', () => {
    const p = parseProbe(containerProbe);
    expect(p.osRelease).toContain('ID=debian');
    expect(p).toMatchObject({
      machine: 'x86_64',
      cpus: 2,
      productUUID: undefined,
      machineID: '461d5a75394a4e8f8bc352d4b3f0a306',
      macAddresses: ['02:42:ac:11:00:02'],
      cgroupVersion: 1,
      swaps: [],
      swapBytes: 0,
      fstabSwapLines: 0,
      modulesLoadable: false,
      modules: { overlay: true, br_netfilter: true },
      listeningPorts: [22],
    });
    expect(p.memoryBytes).toBe(24684084 * 1024);
    expect(p.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(p.files['/etc/sysctl.d/99-kubesmith.conf']).toEqual({ path: '/etc/sysctl.d/99-kubesmith.conf', exists: false });
  });

  it('reads swap, managed files, time sync units and runtimes', () => {
    const p = parseProbe(
      containerProbe.replace(
        'fstab_swap=0',
        [
          'swap=/swapfile 16380',
          'swap=/dev/sdb2 1024',
          'fstab_swap=2',
          'file./etc/sysctl.d/99-kubesmith.conf=abc123 644 root root',
          'timesync.chrony=disabled',
          'runtime=containerd containerd github.com/containerd/containerd v1.7.24 88bf19b2',
          'cgroup_fs=cgroup2fs',
        ].join('\n'),
      ),
    );
    expect(p.swaps).toEqual(['/swapfile', '/dev/sdb2']);
    expect(p.swapBytes).toBe((16380 + 1024) * 1024);
    expect(p.fstabSwapLines).toBe(2);
    expect(p.files['/etc/sysctl.d/99-kubesmith.conf']).toEqual({
      path: '/etc/sysctl.d/99-kubesmith.conf',
      exists: true,
      sha256: 'abc123',
      mode: 0o644,
      owner: 'root',
      group: 'root',
    });
    expect(p.timeSyncUnits).toEqual({ chrony: 'disabled' });
    expect(p.runtime).toEqual({ name: 'containerd', version: '1.7.24' });
  });
});

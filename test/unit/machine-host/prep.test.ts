import { describe, expect, it } from 'vitest';
import { planPrep, SYSCTL_CONTENT } from '../../../src/controllers/machine-host/prep.ts';
import { parseProbe } from '../../../src/controllers/machine-host/probe.ts';
import { sha256Hex } from '../../../src/host/index.ts';
import { selectOs } from '../../../src/host/os/index.ts';
import { containerProbe } from './fixtures.ts';

const probe = parseProbe(containerProbe);
const debian = selectOs('h', probe.osRelease);

describe('planPrep', () => {
  it('on a fresh container host: writes the sysctl file and sets the hostname, loads nothing', () => {
    const plan = planPrep(probe, 'node-1', debian);
    expect(plan.blockers).toEqual([]);
    expect(plan.steps.map((s) => s.what)).toEqual(['persisted sysctls', `set hostname node-1 (was ${probe.hostname})`]);
    expect(plan.summary).toContain('overlay and br_netfilter built into the kernel');
    expect(plan.summary.join(', ')).toContain('no time sync service installed');
  });

  it('plans nothing that changes a host which already matches', () => {
    const prepared = parseProbe(
      containerProbe
        .replace(/hostname=.*/, 'hostname=node-1')
        .replace('fstab_swap=0', `fstab_swap=0\nfile./etc/sysctl.d/99-kubesmith.conf=${sha256Hex(SYSCTL_CONTENT)} 644 root root`),
    );
    const plan = planPrep(prepared, 'node-1', debian);
    // The file step stays in the plan; writeFile compares it with the known state and writes nothing.
    expect(plan.steps.filter((s) => s.kind === 'command')).toEqual([]);
    expect(plan.steps).toHaveLength(1);
  });

  it('turns swap off, comments it out of fstab and fixes sysctls that drifted', () => {
    const drifted = parseProbe(
      containerProbe
        .replace('fstab_swap=0', 'swap=/swapfile 1024\nfstab_swap=1')
        .replace('sysctl.net.ipv4.ip_forward=1', 'sysctl.net.ipv4.ip_forward=0'),
    );
    const steps = planPrep(drifted, 'node-1', debian).steps;
    expect(steps.map((s) => (s.kind === 'command' ? s.command : s.spec.path))).toEqual([
      'swapoff -a',
      expect.stringContaining("sed -ri.kubesmith-bak"),
      '/etc/sysctl.d/99-kubesmith.conf',
      'sysctl -q -w net.ipv4.ip_forward=1',
      expect.stringContaining('hostname'),
    ]);
  });

  it('loads and persists modules where the kernel can load them, and is blocked where it cannot', () => {
    const loadable = parseProbe(containerProbe.replace('modules_loadable=0', 'modules_loadable=1').replace('mod_br_netfilter=1', 'mod_br_netfilter=0'));
    const steps = planPrep(loadable, 'node-1', debian).steps.map((s) => (s.kind === 'command' ? s.command : s.spec.path));
    expect(steps).toContain('modprobe br_netfilter');
    expect(steps).toContain('/etc/modules-load.d/kubesmith.conf');
    const stuck = parseProbe(containerProbe.replace('mod_br_netfilter=1', 'mod_br_netfilter=0'));
    expect(planPrep(stuck, 'node-1', debian).blockers[0]).toContain('has no br_netfilter built in and cannot load modules');
  });

  it('enables the distribution time sync service when it is installed but off', () => {
    const withChrony = parseProbe(containerProbe.replace('fstab_swap=0', 'fstab_swap=0\ntimesync.systemd-timesyncd=disabled'));
    const steps = planPrep(withChrony, 'node-1', debian).steps;
    expect(steps.some((s) => s.kind === 'command' && s.command === 'systemctl enable --now systemd-timesyncd.service')).toBe(true);
  });
});

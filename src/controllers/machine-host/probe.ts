// One script, one round trip: everything the facts, preflight and prep phases decide from.
// Parsing it is pure, so every decision can be tested without a host.
import type { FileState } from '../../host/index.ts';

export const MANAGED_FILES = {
  modules: '/etc/modules-load.d/kubesmith.conf',
  sysctl: '/etc/sysctl.d/99-kubesmith.conf',
} as const;

export const SYSCTLS = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.ipv4.ip_forward'] as const;
export const MODULES = ['overlay', 'br_netfilter'] as const;
const TIME_SYNC_UNITS = ['chrony', 'chronyd', 'systemd-timesyncd', 'ntpsec', 'ntp'];
/** kube-apiserver, etcd client and peer, kubelet, kube-controller-manager, kube-scheduler. */
export const KUBERNETES_PORTS = [6443, 2379, 2380, 10250, 10257, 10259];

// A module counts as present when the kernel shows it in /sys/module or shows what it provides
// (built-in modules need not appear in /sys/module, and some kernels cannot load modules at all).
export const PROBE_SCRIPT = `
set -u
kv() { printf '%s=%s\\n' "$1" "$2"; }
echo 'os_release<<END'; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; echo 'END'
kv kernel "$(uname -r)"
kv machine "$(uname -m)"
kv cpus "$(nproc)"
kv mem_kb "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
kv product_uuid "$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)"
kv machine_id "$(cat /etc/machine-id 2>/dev/null)"
for i in /sys/class/net/*; do n=\${i##*/}
  case $n in lo|veth*|docker*|cni*|flannel*|cali*|br-*|kube-*|virbr*|tunl*|vxlan*) continue;; esac
  kv mac "$(cat "$i/address" 2>/dev/null)"
done
kv cgroup_fs "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)"
awk 'NR>1{print "swap=" $1 " " $3}' /proc/swaps 2>/dev/null
kv fstab_swap "$(grep -cE '^[[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]' /etc/fstab 2>/dev/null)"
kv hostname "$(hostname)"
kv container "$(systemd-detect-virt --container 2>/dev/null)"
kv modules_loadable "$([ -e /proc/modules ] && echo 1 || echo 0)"
kv mod_overlay "$({ [ -d /sys/module/overlay ] || grep -qw overlay /proc/filesystems; } && echo 1 || echo 0)"
kv mod_br_netfilter "$({ [ -d /sys/module/br_netfilter ] || [ -d /proc/sys/net/bridge ]; } && echo 1 || echo 0)"
for k in ${SYSCTLS.join(' ')}; do kv "sysctl.$k" "$(sysctl -n "$k" 2>/dev/null)"; done
for f in ${Object.values(MANAGED_FILES).join(' ')}; do
  if [ -f "$f" ]; then kv "file.$f" "$(sha256sum "$f" | cut -d' ' -f1) $(stat -c '%a %U %G' "$f")"; fi
done
for u in ${TIME_SYNC_UNITS.join(' ')}; do
  s=$(systemctl is-enabled "$u.service" 2>/dev/null) && kv "timesync.$u" "$s"
done
ss -ltnH 2>/dev/null | awk '{print "listen=" $4}'
for c in containerd crio dockerd; do command -v "$c" >/dev/null 2>&1 && kv runtime "$c $("$c" --version 2>/dev/null | head -1)"; done
kv time_ns "$(date +%s%N)"
`;

export interface Probe {
  osRelease: string;
  kernel: string;
  machine: string;
  cpus: number;
  memoryBytes: number;
  productUUID?: string;
  machineID?: string;
  macAddresses: string[];
  cgroupVersion: 1 | 2;
  /** Container technology the host runs in, as systemd-detect-virt names it; undefined on a machine. */
  container?: string;
  swaps: string[];
  swapBytes: number;
  fstabSwapLines: number;
  hostname: string;
  modulesLoadable: boolean;
  modules: Record<(typeof MODULES)[number], boolean>;
  sysctls: Record<string, string>;
  files: Record<string, FileState>;
  timeSyncUnits: Record<string, string>;
  listeningPorts: number[];
  runtime?: { name: string; version?: string };
  hostTimeMs: number;
}

const ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', ppc64le: 'ppc64le', s390x: 's390x' };

export function goArch(machine: string): string {
  return ARCH[machine] ?? machine;
}

export function parseProbe(stdout: string): Probe {
  const lines = stdout.split('\n');
  const end = lines.indexOf('END');
  const osRelease = lines.slice(lines.indexOf('os_release<<END') + 1, end).join('\n');
  const values: [string, string][] = lines
    .slice(end + 1)
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  const one = (k: string) => values.find(([key]) => key === k)?.[1] ?? '';
  const all = (k: string) => values.filter(([key]) => key === k).map(([, v]) => v);
  const prefixed = (p: string) =>
    Object.fromEntries(values.filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));

  const files: Record<string, FileState> = {};
  for (const path of Object.values(MANAGED_FILES)) files[path] = { path, exists: false };
  for (const [path, v] of Object.entries(prefixed('file.'))) {
    const [sha256, mode, owner, group] = v.split(' ');
    files[path] = { path, exists: true, sha256, mode: parseInt(mode ?? '0', 8), owner, group };
  }
  const runtime = one('runtime');
  const [runtimeName, ...runtimeRest] = runtime.split(' ');
  const version = /v?(\d+\.\d+[\w.+-]*)/.exec(runtimeRest.join(' '))?.[1];
  return {
    osRelease,
    kernel: one('kernel'),
    machine: one('machine'),
    cpus: Number(one('cpus')) || 0,
    memoryBytes: (Number(one('mem_kb')) || 0) * 1024,
    productUUID: one('product_uuid') || undefined,
    machineID: one('machine_id') || undefined,
    macAddresses: all('mac').filter((m) => m && m !== '00:00:00:00:00:00'),
    cgroupVersion: one('cgroup_fs') === 'cgroup2fs' ? 2 : 1,
    container: [undefined, '', 'none'].includes(one('container')) ? undefined : one('container'),
    swaps: all('swap').map((s) => s.slice(0, s.lastIndexOf(' '))),
    swapBytes: all('swap').reduce((sum, s) => sum + (Number(s.slice(s.lastIndexOf(' ') + 1)) || 0) * 1024, 0),
    fstabSwapLines: Number(one('fstab_swap')) || 0,
    hostname: one('hostname'),
    modulesLoadable: one('modules_loadable') === '1',
    modules: { overlay: one('mod_overlay') === '1', br_netfilter: one('mod_br_netfilter') === '1' },
    sysctls: prefixed('sysctl.'),
    files,
    timeSyncUnits: prefixed('timesync.'),
    listeningPorts: [...new Set(all('listen').map((a) => Number(a.slice(a.lastIndexOf(':') + 1))))].filter(Boolean),
    runtime: runtimeName ? { name: runtimeName, ...(version ? { version } : {}) } : undefined,
    hostTimeMs: Number(one('time_ns')) / 1e6,
  };
}


#!/usr/bin/env bash
# Builds the Debian image that stands in for a bare-metal host in the tests: systemd as PID 1 and
# sshd with key authentication only. Built locally with debootstrap and `docker import`: nothing is
# pulled. Tagged kubesmith/host:<hash of this script and its settings> and kubesmith/host:dev;
# skipped when the hashed tag exists. Prints the image name.
#
#   KUBESMITH_CACHE          cache root (default ~/.cache/kubesmith)
#   KUBESMITH_DEBIAN_MIRROR  Debian mirror (default http://deb.debian.org/debian)
set -euo pipefail

suite=bookworm
mirror=${KUBESMITH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(systemd systemd-sysv dbus openssh-server sudo iproute2 iptables kmod ca-certificates curl
  conntrack procps socat ebtables ethtool)
# Units that need hardware, a console or a writable kernel interface a container does not have.
masked=(systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service systemd-modules-load.service
  systemd-remount-fs.service systemd-firstboot.service systemd-journald-audit.socket
  sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount
  dev-hugepages.mount getty.target console-getty.service getty@tty1.service serial-getty@.service
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer)

log() { printf 'build-host-image: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

self=$(readlink -f "${BASH_SOURCE[0]}")
inputs_hash=$( { cat "$self"; printf '%s\n' "$suite" "$mirror"; } | sha256sum | cut -c1-16)
image="kubesmith/host:$inputs_hash"

docker info >/dev/null 2>&1 || die "no Docker daemon answers; run hack/ensure-docker.sh first"

if docker image inspect "$image" >/dev/null 2>&1; then
  docker tag "$image" kubesmith/host:dev
  printf '%s\n' "$image"
  exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap is missing; run hack/ensure-docker.sh (it installs it) or apt-get install debootstrap"
[[ $(id -u) -eq 0 ]] || die "debootstrap needs root to create device nodes and chroot; run as root"

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}/host-image
mkdir -p "$cache"
exec 9>"$cache/build.lock"
flock 9
# Another process may have built it while this one waited for the lock.
if docker image inspect "$image" >/dev/null 2>&1; then
  docker tag "$image" kubesmith/host:dev
  printf '%s\n' "$image"
  exit 0
fi

include=$(IFS=,; printf '%s' "${packages[*]}")
# The package download is keyed by what decides it, so editing the configuration below reuses it.
debs="$cache/debs-$(printf '%s\n' "$suite" "$mirror" "$include" | sha256sum | cut -c1-16).tgz"
if [[ ! -s "$debs" ]]; then
  log "downloading $suite packages from $mirror into $debs"
  scratch=$(mktemp -d "$cache/download.XXXXXX")
  debootstrap --variant=minbase --include="$include" --make-tarball="$debs.part" \
    "$suite" "$scratch" "$mirror" >&2 || { rm -rf "$scratch"; die "debootstrap could not download the packages from $mirror"; }
  rm -rf "$scratch"
  mv "$debs.part" "$debs"
fi

rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
cleanup() {
  # A failed debootstrap can leave /proc or /sys mounted inside the root; never delete through them.
  for m in proc sys dev/pts; do umount -l "$rootfs/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

# Installing the packages (dpkg in a chroot) is most of a build; keep its result so that changing
# the configuration below rebuilds in seconds.
base="${debs%.tgz}-rootfs.tar"
if [[ -s "$base" ]]; then
  log "reusing the installed root file system $base"
  tar --numeric-owner --xattrs --acls -C "$rootfs" -xf "$base"
else
  log "installing $suite into $rootfs"
  debootstrap --variant=minbase --include="$include" --unpack-tarball="$debs" \
    "$suite" "$rootfs" "$mirror" >&2 || die "debootstrap failed; see $rootfs/debootstrap/debootstrap.log"
  rm -rf "$rootfs/debootstrap" "$rootfs"/var/cache/apt/archives/*.deb
  tar --numeric-owner --xattrs --acls -C "$rootfs" -cf "$base.part" . && mv "$base.part" "$base"
fi

log "configuring the root file system"
in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

cat >"$rootfs/etc/ssh/sshd_config.d/10-kubesmith.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
UseDNS no
MaxSessions 64
MaxStartups 64:30:128
EOF

# Keys made at build time would be shared by every container and survive a re-create; generating
# them at boot gives each container its own, which the host-key tests rely on.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
cat >"$rootfs/etc/systemd/system/ssh.service.d/10-host-keys.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOF

# An empty machine-id makes systemd generate a fresh one in each container at boot.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$rootfs/var/lib/dbus/machine-id"

# Docker owns these in a container; an fstab entry or a stale hostname would fight it.
: >"$rootfs/etc/fstab"
printf 'host\n' >"$rootfs/etc/hostname"

# On a cgroup v1 kernel that mounts cpu and cpuacct apart, systemd mounts them as if joined: it
# leaves links cpu and cpuacct to a cpu,cpuacct directory where the two end up mounted on top of
# each other, so cpuacct hides cpu (no cpu.shares) and runc finds the wrong files. Mount each
# hierarchy once, at the name of its controllers, as the kernel groups them in /proc/cgroups.
cat >"$rootfs/usr/local/sbin/kubesmith-cgroup-v1-mounts" <<'SCRIPT'
#!/bin/sh
set -eu
root=/sys/fs/cgroup
[ "$(stat -f -c %T "$root")" = tmpfs ] || exit 0
known=$(awk 'NR > 1 { print $1 }' /proc/cgroups)
# Controllers in use, grouped by hierarchy as the kernel has them ("cpu" and "cpuacct" apart here).
groups=$(awk 'NR > 1 && $2 != 0 && $4 == 1 { if ($2 in g) g[$2] = g[$2] "," $1; else g[$2] = $1 } END { for (h in g) print g[h] }' /proc/cgroups | sort)
# "<mount point> <controllers>" of each cgroup v1 controller mount, in mount order.
mounts() {
  awk -v known="$known" 'BEGIN { n = split(known, k, "\n"); for (i = 1; i <= n; i++) isc[k[i]] = 1 }
    { for (i = 7; $i != "-"; i++); if ($(i + 1) != "cgroup") next
      n = split($(i + 3), o, ","); c = ""; for (j = 1; j <= n; j++) if (o[j] in isc) c = c (c ? "," : "") o[j]
      if (c) print $5, c }' /proc/self/mountinfo
}
want=$(for g in $groups; do echo "$root/$g $g"; done)
[ "$(mounts | sort)" = "$want" ] && exit 0
mount -o remount,rw "$root"
# Take every controller mount down, stacked ones included, then mount each hierarchy once. A
# hierarchy a process is being put in at boot is busy; detached lazily, it stays whole for the
# processes in it and is mounted again below, so no hierarchy is ever left unmounted.
while m=$(mounts | tail -n 1 | cut -d' ' -f1) && [ -n "$m" ]; do umount "$m" 2>/dev/null || umount -l "$m"; done
for g in $groups; do
  if [ -L "$root/$g" ]; then rm "$root/$g"; fi
  mkdir -p "$root/$g"
  mount -t cgroup -o "nosuid,nodev,noexec,$g" cgroup "$root/$g"
  case $g in *,*) for c in $(echo "$g" | tr ',' ' '); do ln -sfn "$g" "$root/$c"; done ;; esac
done
# What systemd left for joins the kernel does not have: empty directories and links to them.
for d in "$root"/*,*; do if [ -d "$d" ] && [ ! -L "$d" ] && ! mountpoint -q "$d"; then rmdir "$d"; fi; done
for l in "$root"/*; do if [ -L "$l" ] && [ ! -e "$l" ]; then rm "$l"; fi; done
mount -o remount,ro "$root"
SCRIPT
chmod 0755 "$rootfs/usr/local/sbin/kubesmith-cgroup-v1-mounts"
cat >"$rootfs/etc/systemd/system/kubesmith-cgroup-v1-mounts.service" <<'UNIT'
[Unit]
Description=Mount each cgroup v1 hierarchy once, at its own directory
DefaultDependencies=no
ConditionVirtualization=container
Before=sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubesmith-cgroup-v1-mounts

[Install]
WantedBy=sysinit.target
UNIT
in_root systemctl enable kubesmith-cgroup-v1-mounts.service >&2

# A test host shares this machine's kernel, and the kubelet sets kernel-wide sysctls it wants
# (kernel.panic=10, kernel.panic_on_oops=1, vm.overcommit_memory=1): it would change them for the
# whole machine. Files bind-mounted over those /proc/sys entries show it its values and take its
# writes, as on a machine of its own; without them, with /proc/sys read-only, it would not start.
cat >"$rootfs/usr/local/sbin/kubesmith-kernel-tunables" <<'SCRIPT'
#!/bin/sh
set -eu
mkdir -p /run/kubesmith/sysctl
for kv in kernel/panic=10 kernel/panic_on_oops=1 vm/overcommit_memory=1 vm/panic_on_oom=0 \
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  key=${kv%%=*} file=/run/kubesmith/sysctl/$(echo "${kv%%=*}" | tr / .)
  echo "${kv#*=}" >"$file"
  if ! mountpoint -q "/proc/sys/$key"; then mount --bind "$file" "/proc/sys/$key"; fi
done
SCRIPT
chmod 0755 "$rootfs/usr/local/sbin/kubesmith-kernel-tunables"
cat >"$rootfs/etc/systemd/system/kubesmith-kernel-tunables.service" <<'UNIT'
[Unit]
Description=Keep the kubelet's kernel-wide sysctls inside this container
DefaultDependencies=no
ConditionVirtualization=container
Before=sysinit.target systemd-sysctl.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubesmith-kernel-tunables

[Install]
WantedBy=sysinit.target
UNIT
in_root systemctl enable kubesmith-kernel-tunables.service >&2

for unit in "${masked[@]}"; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
in_root systemctl enable ssh.service >&2
in_root systemctl set-default multi-user.target >&2

rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/debootstrap "$rootfs"/tmp/*
printf 'deb %s %s main\n' "$mirror" "$suite" >"$rootfs/etc/apt/sources.list"

log "importing $image"
# `docker import` cannot set a stop signal, so a one-line build on top of the import adds it:
# systemd shuts down cleanly on SIGRTMIN+3 and ignores the default SIGTERM.
base="kubesmith/host-rootfs:$inputs_hash"
tar --numeric-owner --xattrs --acls -C "$rootfs" -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=docker' \
  - "$base" >&2
built=$(printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\nLABEL io.kubesmith.inputs=%s\n' "$base" "$inputs_hash" \
  | DOCKER_BUILDKIT=0 docker build -t "$image" - 2>&1) \
  || die "adding the stop signal to $base with the classic builder failed: $built"
docker rmi "$base" >/dev/null
docker tag "$image" kubesmith/host:dev
printf '%s\n' "$image"

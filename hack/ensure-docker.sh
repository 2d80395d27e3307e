#!/usr/bin/env bash
# Makes sure a Docker Engine answers on this machine: installs Debian's docker.io (and debootstrap,
# which the host image build needs) when missing, and starts dockerd in the background when no
# daemon answers. Safe to run again and from several processes at once.
#
#   KUBESMITH_CACHE        cache root (default ~/.cache/kubesmith); dockerd logs to $KUBESMITH_CACHE/dockerd.log
#   KUBESMITH_DOCKER_WAIT  seconds to wait for a started daemon (default 60)
set -euo pipefail

log() { printf 'ensure-docker: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
wait_s=${KUBESMITH_DOCKER_WAIT:-60}
daemon_log="$cache/dockerd.log"
mkdir -p "$cache"

# DOCKER_HOST pointing elsewhere means someone else runs the daemon; only check it.
if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != unix:///var/run/docker.sock ]]; then
  docker info >/dev/null 2>&1 || die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; start that daemon or unset DOCKER_HOST"
  exit 0
fi

# Two test runs starting at once must not both install or both launch a daemon.
exec 9>"$cache/ensure-docker.lock"
flock 9

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
# The Docker CLI may come from elsewhere (a static client in /usr/local/bin), but the daemon and its
# runtimes come from Debian.
command -v docker >/dev/null || need+=(docker.io)
if ((${#need[@]})); then
  log "installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq >&2 || die "apt-get update failed; Debian's package mirror must be reachable"
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
    || die "apt-get install ${need[*]} failed; see the output above"
fi

# inotify instances and watches are counted per user, and every test host's systemd, containerd and
# kubelet run as this machine's root: 13 to 15 instances for each host running a kubelet and 4 to 5
# for a host with systemd alone (measured), on top of the machine's own. The default of 128 leaves
# room for fewer than eight such hosts (a kubelet fails with "too many open files" from
# inotify_init; a host's systemd exits, "container is not running"). kind documents the same need.
# Room for the host benchmark's 100 hosts; raised, never lowered, and said so.
raise_sysctl() {
  local key=$1 min=$2 why=$3
  if (($(sysctl -n "$key") < min)); then
    log "raising $key to $min $why"
    as_root sysctl -qw "$key=$min" || die "could not raise $key; as root: sysctl -w $key=$min"
  fi
}
raise_sysctl fs.inotify.max_user_instances 2048 "for the test hosts' systemd and kubelets"
raise_sysctl fs.inotify.max_user_watches 524288 "for the test hosts' systemd and kubelets"

if docker info >/dev/null 2>&1; then
  exit 0
fi

if pgrep -x dockerd >/dev/null; then
  log "a dockerd process exists but does not answer yet; waiting"
else
  log "starting dockerd (log: $daemon_log)"
  # setsid detaches it from the caller's process group so it outlives the test run that started it;
  # closing fd 9 keeps the lock from living as long as the daemon.
  as_root setsid dockerd >>"$daemon_log" 2>&1 </dev/null 9>&- &
fi

for ((i = 0; i < wait_s * 2; i++)); do
  docker info >/dev/null 2>&1 && { log "dockerd is up"; exit 0; }
  sleep 0.5
done

if [[ -s "$daemon_log" ]]; then
  log "dockerd did not answer 'docker info' within ${wait_s}s; the end of its log ($daemon_log):"
  tail -n 30 "$daemon_log" >&2
else
  log "dockerd did not answer 'docker info' within ${wait_s}s; it was started elsewhere, so look for its log there"
fi
die "fix the error above (kernel features, iptables, a stale /var/run/docker.pid) and run hack/ensure-docker.sh again"

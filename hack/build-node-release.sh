#!/usr/bin/env bash
# Builds what a Kubernetes node runs besides the kubelet (containerd with its runc shim and ctr,
# runc, the CNI plugins) from their official Go modules through the Go module proxy, caches the
# binaries, and lays them out in OUT_DIR as their GitHub releases are published, so OUT_DIR served
# over HTTP stands in for https://github.com/:
#   containerd/containerd/releases/download/v<V>/containerd-<V>-linux-amd64.tar.gz(.sha256sum)
#   opencontainers/runc/releases/download/v<V>/runc.amd64 + runc.sha256sum
#   containernetworking/plugins/releases/download/v<V>/cni-plugins-linux-amd64-v<V>.tgz(.sha256)
# The last line printed is `containerd=<V> runc=<V> cni=<V>`.
#
#   build-node-release.sh OUT_DIR
#   KUBESMITH_CACHE  cache root (default ~/.cache/kubesmith)
#   CONTAINERD_VERSION, RUNC_VERSION, CNI_VERSION  override the pinned versions (no leading v)
set -euo pipefail

out=${1:?usage: build-node-release.sh OUT_DIR}
containerd_v=${CONTAINERD_VERSION:-2.4.2}
runc_v=${RUNC_VERSION:-1.4.4}
cni_v=${CNI_VERSION:-1.9.1}
cni_plugins=(main/bridge main/loopback main/ptp main/macvlan main/ipvlan main/vlan main/host-device
  main/dummy main/tap ipam/host-local ipam/static ipam/dhcp meta/portmap meta/bandwidth meta/firewall
  meta/tuning meta/sbr meta/vrf)

log() { printf 'build-node-release: %s\n' "$*" >&2; }
command -v go >/dev/null || { log "the Go toolchain is needed to build the node binaries"; exit 1; }

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
bin="$cache/bin/node-containerd-$containerd_v-runc-$runc_v-cni-$cni_v"
mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9

# `go install module/pkg@version` builds with the module's own go.mod, as its release does.
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
install_to() { # dir, then go install arguments
  local dir=$1; shift
  mkdir -p "$dir.tmp" && GOBIN="$dir.tmp" go install -trimpath "$@" >&2 && rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

if [[ ! -x "$bin/containerd/ctr" ]]; then
  log "building containerd $containerd_v"
  pkg=github.com/containerd/containerd/v2
  # Static like the release's containerd-static; without cgo the btrfs snapshotter (which needs
  # btrfs headers) is left out by its build constraint, as on most hosts it is unused anyway.
  CGO_ENABLED=0 install_to "$bin/containerd" \
    -ldflags "-s -w -X $pkg/version.Version=v$containerd_v -X $pkg/version.Package=$pkg" \
    "$pkg/cmd/containerd@v$containerd_v" "$pkg/cmd/containerd-shim-runc-v2@v$containerd_v" "$pkg/cmd/ctr@v$containerd_v"
fi

if [[ ! -x "$bin/runc/runc" ]]; then
  log "building runc $runc_v"
  # runc needs libseccomp to apply seccomp profiles, and containerd gives every pod's sandbox one
  # ("unable to init seccomp: seccomp: config provided but seccomp not supported" without it).
  # Without libseccomp-dev on this machine, Debian's package is unpacked into the cache, not installed.
  if ! pkg-config --exists libseccomp 2>/dev/null; then
    sysroot="$cache/build/libseccomp-dev"
    if [[ ! -f $sysroot/usr/include/seccomp.h ]]; then
      log "unpacking Debian's libseccomp-dev into $sysroot"
      rm -rf "$sysroot" && mkdir -p "$sysroot/deb"
      # A fresh machine may have no package lists yet.
      (cd "$sysroot/deb" && { apt-get download libseccomp-dev || { apt-get update -qq && apt-get download libseccomp-dev; }; } >&2) \
        || { log "apt-get download libseccomp-dev failed; install libseccomp-dev (Debian) and run again"; exit 1; }
      dpkg-deb -x "$sysroot"/deb/*.deb "$sysroot"
    fi
    export PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG_PATH=$sysroot/usr/lib/x86_64-linux-gnu/pkgconfig
  fi
  # runc's nsenter is C, so cgo; linked statically, as the release is, with the release's tags.
  CGO_ENABLED=1 install_to "$bin/runc" -tags "seccomp urfave_cli_no_docs netgo osusergo" \
    -ldflags "-s -w -extldflags -static" "github.com/opencontainers/runc@v$runc_v"
fi

if [[ ! -x "$bin/cni/portmap" ]]; then
  log "building CNI plugins $cni_v"
  pkg=github.com/containernetworking/plugins
  pkgs=()
  for p in "${cni_plugins[@]}"; do pkgs+=("$pkg/plugins/$p@v$cni_v"); done
  CGO_ENABLED=0 install_to "$bin/cni" -ldflags "-s -w -X $pkg/pkg/utils/buildversion.BuildVersion=v$cni_v" "${pkgs[@]}"
fi

# What each binary was built from, as Go recorded it: a package named without @version would
# silently resolve to the newest release.
built_from() { go version -m "$1" | awk '$1 == "mod" { print $2 "@" $3; exit }'; }
for check in containerd/containerd=github.com/containerd/containerd/v2@v$containerd_v \
  runc/runc=github.com/opencontainers/runc@v$runc_v cni/bridge=github.com/containernetworking/plugins@v$cni_v; do
  got=$(built_from "$bin/${check%%=*}")
  [[ $got == "${check#*=}" ]] || { log "$bin/${check%%=*} was built from $got, not ${check#*=}; remove $bin"; exit 1; }
done

# Fixed owner, order and times, so the same binaries give the same tarball and the same sum.
pack() { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$1" -cf - "${@:2}" | gzip -n; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

dir="$out/containerd/containerd/releases/download/v$containerd_v"
name="containerd-$containerd_v-linux-amd64.tar.gz"
mkdir -p "$dir" "$stage/containerd/bin"
install -m 0755 "$bin/containerd/"{containerd,containerd-shim-runc-v2,ctr} "$stage/containerd/bin/"
pack "$stage/containerd" bin >"$dir/$name"
(cd "$dir" && sha256sum "$name" >"$name.sha256sum")

dir="$out/opencontainers/runc/releases/download/v$runc_v"
mkdir -p "$dir"
install -m 0755 "$bin/runc/runc" "$dir/runc.amd64"
(cd "$dir" && sha256sum runc.amd64 >runc.sha256sum)

dir="$out/containernetworking/plugins/releases/download/v$cni_v"
name="cni-plugins-linux-amd64-v$cni_v.tgz"
mkdir -p "$dir" "$stage/cni"
install -m 0755 "$bin/cni/"* "$stage/cni/"
pack "$stage/cni" . >"$dir/$name"
(cd "$dir" && sha256sum "$name" >"$name.sha256")

printf 'containerd=%s runc=%s cni=%s\n' "$containerd_v" "$runc_v" "$cni_v"

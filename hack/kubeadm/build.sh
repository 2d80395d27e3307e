#!/usr/bin/env bash
# Builds what the kubeadm baseline (hack/kubeadm/) needs on top of the test world, from the same
# inputs kubesmith's clusters run:
#   kubeadm                     cmd/kubeadm of k8s.io/kubernetes@KUBE_VERSION, the way
#                               hack/build-binaries.sh builds the other components
#   registry storage            hack/build-images.sh's images (pause, coredns, flannel, netcheck) and
#                               the images kubeadm deploys, under kubesmith/ (its imageRepository):
#     kube-apiserver, kube-controller-manager, kube-scheduler:KUBE_VERSION   the binaries
#                               hack/build-binaries.sh built, on /usr/local/bin (kubeadm's static
#                               pods name the command, not a path)
#     kube-proxy:KUBE_VERSION   kube-proxy with iptables (nft) and the libraries and xtables modules
#                               it loads, copied from the host image's Debian packages
#     etcd:ETCD_TAG             the etcd hack/build-binaries.sh built (ClusterConfiguration names the tag)
# Built once per set of inputs; prints `kubeadm=<file>` and `registry=<storage directory>`.
#
#   KUBESMITH_HOST_IMAGE  the host image (hack/build-host-image.sh) the iptables files come from
#   KUBESMITH_CACHE       cache root (default ~/.cache/kubesmith)
set -euo pipefail

kube_version=${KUBE_VERSION:-v1.36.3}
etcd_version=${ETCD_VERSION:-v3.6.16}
etcd_tag=${etcd_version#v}-0 # registry.k8s.io/etcd's tag scheme
host_image=${KUBESMITH_HOST_IMAGE:?set KUBESMITH_HOST_IMAGE to the host image hack/build-host-image.sh printed}

log() { printf 'kubeadm/build: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
hack=$(dirname "$here")
# shellcheck source=../registry-writer.sh
source "$hack/registry-writer.sh"
cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
bin=$(KUBE_VERSION=$kube_version ETCD_VERSION=$etcd_version bash "$hack/build-binaries.sh")
base=$(KUBE_VERSION=$kube_version bash "$hack/build-images.sh")
tools=$(bash "$hack/build-test-tools.sh")
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

# ---- kubeadm, in a module of its own next to build-binaries.sh's (same replace mapping of the
# staging modules, so the same dependency versions).
kubeadm="$cache/bin/kubeadm-$kube_version/kubeadm"
if [[ ! -x $kubeadm ]]; then
  mod="$cache/build/kubeadm-$kube_version"
  mkdir -p "$mod" "$(dirname "$kubeadm")"
  cp "$cache/build/kube-$kube_version/go.mod" "$mod/go.mod"
  sed -i 's|^module .*|module kubesmith.local/kubeadm|' "$mod/go.mod"
  printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kubeadm/app"\n' >"$mod/tools.go"
  minor=${kube_version#v1.}; minor=${minor%%.*}
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  log "building kubeadm $kube_version"
  (cd "$mod" && go mod tidy >&2 && go build -trimpath -ldflags "$ldflags" -o "$kubeadm.tmp" k8s.io/kubernetes/cmd/kubeadm && mv "$kubeadm.tmp" "$kubeadm")
fi

# ---- The registry storage.
host_image_id=$(docker image inspect -f '{{.Id}}' "$host_image") || die "no image $host_image; run hack/build-host-image.sh"
key=$( { cat "${BASH_SOURCE[0]}"; basename "$base"; sha256sum "$bin"/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,etcd}; echo "$host_image_id"; } | sha256sum | cut -c1-16)
store="$cache/registry-kubeadm-$key"
done_() { printf 'kubeadm=%s\nregistry=%s\n' "$kubeadm" "$store"; exit 0; }
[[ -f $store/.complete ]] && done_
exec 9>"$store.lock"
flock 9
[[ -f $store/.complete ]] && done_

work=$(mktemp -d)
registry_pid=
cleanup() { [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
rm -rf "$store.tmp"
# Hard links: blobs are never rewritten, and the registry only adds files for what is pushed.
cp -al "$base" "$store.tmp" && rm -f "$store.tmp/.complete"

log "building the kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy $kube_version and etcd $etcd_tag images"
layer() { # name, then files relative to $work/<name>
  local name=$1; shift
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/$name" -cf "$work/$name.tar" "$@"
}
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd; do
  mkdir -p "$work/$b/usr/local/bin" && cp "$bin/$b" "$work/$b/usr/local/bin/$b"
done
# iptables-nft as Debian ships it: the multi-call binary, its names, its libraries and modules.
docker run --rm --network none --entrypoint bash -v "$work/kube-proxy:/out" "$host_image" -ec '
  multi=/usr/sbin/xtables-nft-multi
  mkdir -p /out/usr/sbin
  cp "$multi" /out/usr/sbin/
  for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -s xtables-nft-multi /out/usr/sbin/$n; done
  for lib in $(ldd "$multi" | grep -o "/[^ ]*"); do mkdir -p "/out$(dirname "$lib")"; cp -L "$lib" "/out$lib"; done
  mkdir -p /out/usr/lib/x86_64-linux-gnu && cp -a /usr/lib/x86_64-linux-gnu/xtables /out/usr/lib/x86_64-linux-gnu/
  for lib in $(ldd /usr/lib/x86_64-linux-gnu/xtables/*.so | sed -n "s/.*=> \(\/[^ ]*\).*/\1/p" | sort -u); do [ -e "/out$lib" ] || { mkdir -p "/out$(dirname "$lib")"; cp -L "$lib" "/out$lib"; }; done
  chown -R '"$(id -u):$(id -g)"' /out'
for b in kube-apiserver kube-controller-manager kube-scheduler etcd; do layer "$b" usr; done
layer kube-proxy usr lib lib64

start_registry_writer "$store.tmp"

path_env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
image() { # name, tag, entrypoint
  crane append --oci-empty-base -f "$work/$1.tar" -t "$reg/kubesmith/$1:$2"
  crane mutate "$reg/kubesmith/$1:$2" --set-platform linux/amd64 --env "$path_env" --entrypoint "$3" -t "$reg/kubesmith/$1:$2"
}
for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do image "$b" "$kube_version" "/usr/local/bin/$b"; done
image etcd "$etcd_tag" /usr/local/bin/etcd

kill "$registry_pid" && wait "$registry_pid" 2>/dev/null || true
registry_pid=
touch "$store.tmp/.complete"
rm -rf "$store" && mv "$store.tmp" "$store"
done_

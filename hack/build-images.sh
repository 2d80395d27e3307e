#!/usr/bin/env bash
# Builds the container images the tests' nodes run, without pulling anything, into the storage
# directory of a distribution registry (test/support/image-registry.ts serves it read-only):
#   pause:3.10.2, kubesmith/pause:3.10.2      Kubernetes' pause.c (of KUBE_VERSION), static, by gcc
#   netcheck:1, kubesmith/netcheck:1, library/netcheck:1   hack/images/netcheck, entrypoint
#                                             /netcheck, command `serve` (HTTP :8080, its hostname)
#   kubesmith/flannel:$FLANNEL_VERSION         flanneld from github.com/flannel-io/flannel, at
#                                             /opt/bin/flanneld as in the upstream image
#   kubesmith/coredns:$COREDNS_VERSION         coredns from github.com/coredns/coredns (kubeadm's
#                                             CoreDNSVersion of KUBE_VERSION), entrypoint /coredns
# Built once per set of inputs into $KUBESMITH_CACHE/registry-<hash>; prints that directory.
#
#   KUBESMITH_CACHE  cache root (default ~/.cache/kubesmith)
#   KUBE_VERSION     Kubernetes release whose pause.c is built (default v1.36.3)
set -euo pipefail

kube_version=${KUBE_VERSION:-v1.36.3}
pause_tag=3.10.2 # build/pause/Makefile's TAG and kubeadm's PauseVersion in v1.36.3
netcheck_tag=1
flannel_version=v0.28.10 # src/controllers/network-addon/flannel/manifests.ts FLANNEL_VERSION
coredns_version=v1.14.2  # src/controllers/control-plane/dns/manifests.ts COREDNS_VERSION

log() { printf 'build-images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=registry-writer.sh
source "$here/registry-writer.sh"
cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
command -v gcc >/dev/null || die "gcc is needed to build the pause image"
tools=$(bash "$here/build-test-tools.sh")

export GOTOOLCHAIN=local
pause_c=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$kube_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')/build/pause/linux/pause.c
[[ -f $pause_c ]] || die "no $pause_c in the k8s.io/kubernetes@$kube_version module"
key=$( { cat "${BASH_SOURCE[0]}" "$here/images/netcheck/main.go" "$pause_c"; basename "$tools"; go version; } | sha256sum | cut -c1-16)
store="$cache/registry-$key"
[[ -f $store/.complete ]] && { printf '%s\n' "$store"; exit 0; }

mkdir -p "$cache"
exec 9>"$cache/registry-$key.lock"
flock 9
[[ -f $store/.complete ]] && { printf '%s\n' "$store"; exit 0; }

work=$(mktemp -d)
registry_pid=
cleanup() { [[ -n $registry_pid ]] && kill "$registry_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
rm -rf "$store.tmp"

log "building pause $pause_tag, netcheck $netcheck_tag, flannel $flannel_version and coredns $coredns_version"
mkdir -p "$work/pause" "$work/netcheck" "$work/opt/bin"
# The flags of build/pause/Makefile.
gcc -Os -Wall -Werror -static -DVERSION="v$pause_tag-$kube_version" -o "$work/pause/pause" "$pause_c"
strip "$work/pause/pause"
(cd "$here/images/netcheck" && CGO_ENABLED=0 GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$work/netcheck/netcheck" main.go)
# flanneld as its module builds it, less two backends kubesmith never configures: tencentvpc, whose
# cloud SDK the module proxy does not serve, and udp, which needs cgo (both are imported only for
# their registration in main.go).
flannel_src=$(GOFLAGS=-mod=mod go mod download -json "github.com/flannel-io/flannel@$flannel_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp -r "$flannel_src" "$work/flannel-src" && chmod -R u+w "$work/flannel-src"
sed -i -e '/pkg\/backend\/tencentvpc"/d' -e '/pkg\/backend\/udp"/d' "$work/flannel-src/main.go"
grep -q 'pkg/backend/vxlan"' "$work/flannel-src/main.go" || die "flannel $flannel_version's main.go does not import the vxlan backend"
(cd "$work/flannel-src" && CGO_ENABLED=0 GOFLAGS= go build -trimpath \
  -ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$flannel_version" -o "$work/opt/bin/flanneld" .)
CGO_ENABLED=0 GOFLAGS= GOBIN="$work/coredns-bin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$coredns_version"
layer() { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/$1" -cf "$work/$1.tar" "$1"; }
layer pause
layer netcheck
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/coredns-bin" -cf "$work/coredns.tar" coredns
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$work/flannel.tar" opt

start_registry_writer "$store.tmp"

crane append --oci-empty-base -f "$work/pause.tar" -t "$reg/kubesmith/pause:$pause_tag"
crane mutate "$reg/kubesmith/pause:$pause_tag" --set-platform linux/amd64 --entrypoint /pause \
  --user 65535:65535 -t "$reg/kubesmith/pause:$pause_tag"
crane copy "$reg/kubesmith/pause:$pause_tag" "$reg/pause:$pause_tag"
crane append --oci-empty-base -f "$work/netcheck.tar" -t "$reg/kubesmith/netcheck:$netcheck_tag"
crane mutate "$reg/kubesmith/netcheck:$netcheck_tag" --set-platform linux/amd64 --entrypoint /netcheck \
  --cmd serve --exposed-ports 8080/tcp --user 65534:65534 -t "$reg/kubesmith/netcheck:$netcheck_tag"
crane copy "$reg/kubesmith/netcheck:$netcheck_tag" "$reg/netcheck:$netcheck_tag"
crane copy "$reg/kubesmith/netcheck:$netcheck_tag" "$reg/library/netcheck:$netcheck_tag"
crane append --oci-empty-base -f "$work/flannel.tar" -t "$reg/kubesmith/flannel:$flannel_version"
crane mutate "$reg/kubesmith/flannel:$flannel_version" --set-platform linux/amd64 --entrypoint /opt/bin/flanneld \
  -t "$reg/kubesmith/flannel:$flannel_version"
crane append --oci-empty-base -f "$work/coredns.tar" -t "$reg/kubesmith/coredns:$coredns_version"
crane mutate "$reg/kubesmith/coredns:$coredns_version" --set-platform linux/amd64 --entrypoint /coredns \
  --exposed-ports 53/udp,53/tcp,9153/tcp -t "$reg/kubesmith/coredns:$coredns_version"

kill "$registry_pid" && wait "$registry_pid" 2>/dev/null || true
registry_pid=
touch "$store.tmp/.complete"
rm -rf "$store" && mv "$store.tmp" "$store"
printf '%s\n' "$store"

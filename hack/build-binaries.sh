#!/usr/bin/env bash
# Builds the Kubernetes and etcd binaries the tests and the dev environment run, from the official
# Go modules of a pinned release, through the Go module proxy. Built once into a cache directory
# and reused; prints the directory that holds the binaries.
#
#   KUBESMITH_BIN_DIR   use these release binaries instead of building (checked, not modified)
#   KUBESMITH_CACHE     cache root (default ~/.cache/kubesmith)
#   KUBE_VERSION        Kubernetes release (default below); ETCD_VERSION likewise
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
components=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
etcd_components=(etcd etcdctl)

log() { printf 'build-binaries: %s\n' "$*" >&2; }

if [[ -n "${KUBESMITH_BIN_DIR:-}" ]]; then
  for b in "${components[@]}" etcd; do
    [[ -x "$KUBESMITH_BIN_DIR/$b" ]] || { log "KUBESMITH_BIN_DIR=$KUBESMITH_BIN_DIR has no executable '$b'; put the release binaries there or unset it to build them"; exit 1; }
  done
  printf '%s\n' "$KUBESMITH_BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { log "the Go toolchain is needed to build the binaries (or set KUBESMITH_BIN_DIR)"; exit 1; }

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
out="$cache/bin/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
work="$cache/build"
mkdir -p "$out" "$work"

missing() { for b in "$@"; do [[ -x "$out/$b" ]] || return 0; done; return 1; }

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local

if missing "${components[@]}"; then
  mod="$work/kube-$KUBE_VERSION"
  mkdir -p "$mod"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with local paths,
  # which a dependent module cannot see; map each one to its published v0.N.P instead.
  staging_version="v0.${KUBE_VERSION#v1.}"
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    printf 'module kubesmith.local/kube-tools\n\ngo 1.25\n\nrequire k8s.io/kubernetes %s\n\n' "$KUBE_VERSION"
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" \
      | awk -v v="$staging_version" '{ printf "replace %s => %s %s\n", $1, $1, v }'
  } > "$mod/go.mod"
  printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler/app"\n\t_ "k8s.io/kubectl/pkg/cmd"\n)\n' > "$mod/tools.go"
  ldflags="-s -w"
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  log "resolving k8s.io/kubernetes $KUBE_VERSION modules"
  (cd "$mod" && go mod tidy >&2)
  pkgs=()
  for b in "${components[@]}"; do [[ -x "$out/$b" ]] || pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  # One build for all of them: the go command links the binaries in parallel, where separate builds
  # would link one at a time. Each binary is named after its package's last path element.
  log "building ${pkgs[*]##*/} $KUBE_VERSION"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" "${pkgs[@]}")
  for b in "${pkgs[@]##*/}"; do mv "$out.tmp/$b" "$out/$b"; done
  rm -rf "$out.tmp"
fi

if missing "${etcd_components[@]}"; then
  mod="$work/etcd-$ETCD_VERSION"
  mkdir -p "$mod/etcd"
  printf 'module kubesmith.local/etcd-tools\n\ngo 1.25\n' > "$mod/go.mod"
  # The etcd server's main package lives in etcd's root module, which has replace directives and so
  # cannot be built as a dependency; etcdmain is the same entry point in the server module.
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > "$mod/etcd/main.go"
  log "resolving etcd $ETCD_VERSION modules"
  # go get pins both modules; tidy would drop etcdctl (only its main package is used) and a later
  # build would then resolve it to the newest release.
  (cd "$mod" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION" >&2)
  ldflags="-s -w"
  log "building etcd and etcdctl $ETCD_VERSION"
  # etcdctl/v3 builds as etcdctl: the go command names a binary after the element before a major version.
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" ./etcd go.etcd.io/etcd/etcdctl/v3)
  for b in "${etcd_components[@]}"; do mv "$out.tmp/$b" "$out/$b"; done
  rm -rf "$out.tmp"
fi

printf '%s\n' "$out"

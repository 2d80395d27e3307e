#!/usr/bin/env bash
# Builds the tools the tests use around container images from their official Go modules through
# the Go module proxy: the distribution registry (the test image registry), crane (pushes the test
# images into it) and crictl (looks at a node's containers). Cached; prints their directory.
#
#   KUBESMITH_CACHE  cache root (default ~/.cache/kubesmith)
set -euo pipefail

registry_v=v3.1.2
crane_v=v0.22.1
crictl_v=v1.37.0

log() { printf 'build-test-tools: %s\n' "$*" >&2; }
command -v go >/dev/null || { log "the Go toolchain is needed to build the test tools"; exit 1; }

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
bin="$cache/bin/tools-registry-$registry_v-crane-$crane_v-crictl-$crictl_v"
mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9

export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
build() { # binary, package@version, ldflags
  [[ -x "$bin/$1" ]] && return
  log "building $1 from $2"
  mkdir -p "$bin/.tmp" && GOBIN="$bin/.tmp" go install -trimpath -ldflags "-s -w $3" "$2" >&2
  mv "$bin/.tmp/$1" "$bin/$1"
}
build registry "github.com/distribution/distribution/v3/cmd/registry@$registry_v" \
  "-X github.com/distribution/distribution/v3/version.version=$registry_v"
build crane "github.com/google/go-containerregistry/cmd/crane@$crane_v" ""
build crictl "sigs.k8s.io/cri-tools/cmd/crictl@$crictl_v" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_v"
rm -rf "$bin/.tmp"
printf '%s\n' "$bin"

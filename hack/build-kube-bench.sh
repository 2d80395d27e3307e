#!/usr/bin/env bash
# Builds kube-bench (Aqua Security's runner of the CIS Kubernetes Benchmark) from its official Go
# module through the Go module proxy, once, into $KUBESMITH_CACHE/bin/kube-bench-v<V>/: the binary
# `kube-bench` and the module's `cfg/` (the benchmarks' checks and upstream's config.yaml) beside
# it, as its release tarball lays them out. Prints that directory. hack/kube-bench.ts runs it on
# the test hosts.
#
#   KUBESMITH_CACHE     cache root (default ~/.cache/kubesmith)
#   KUBE_BENCH_VERSION  override the pinned version (no leading v)
set -euo pipefail

version=${KUBE_BENCH_VERSION:-0.16.0}
pkg=github.com/aquasecurity/kube-bench

log() { printf 'build-kube-bench: %s\n' "$*" >&2; }
command -v go >/dev/null || { log "the Go toolchain is needed to build kube-bench"; exit 1; }

cache=${KUBESMITH_CACHE:-$HOME/.cache/kubesmith}
bin="$cache/bin/kube-bench-v$version"
mkdir -p "$bin"
exec 9>"$bin/.lock"
flock 9

# The module's own go.mod and go.sum, as its release builds it; static as its makefile builds it.
# Built from the downloaded module rather than by `go install pkg@version`, which also reads the
# module's version list for deprecations, and the proxy here refuses that list for kube-bench. The
# checksum database answers 404 for kube-bench through the proxy here, so its lookup is skipped for
# this module only; its dependencies are checked against its go.sum.
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 GONOSUMDB=$pkg

if [[ ! -x $bin/kube-bench || ! -f $bin/cfg/config.yaml ]]; then
  log "building kube-bench $version"
  src=$(go mod download -json "$pkg@v$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [[ -f $src/cfg/config.yaml ]] || { log "no cfg/config.yaml in $pkg@v$version"; exit 1; }
  rm -rf "$bin/.tmp" && mkdir -p "$bin/.tmp"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X $pkg/cmd.KubeBenchVersion=v$version" -o "$bin/.tmp/kube-bench" .) >&2
  # The module cache is read-only; the copy is not, so a run can lay its own config beside it.
  cp -r "$src/cfg" "$bin/.tmp/cfg" && chmod -R u+w "$bin/.tmp/cfg"
  rm -rf "$bin/cfg" && mv "$bin/.tmp/cfg" "$bin/cfg" && mv "$bin/.tmp/kube-bench" "$bin/kube-bench"
  rm -rf "$bin/.tmp"
fi

# Built as the main module, so Go records its path; the version is the one linked in above.
got=$(go version -m "$bin/kube-bench" | awk '$1 == "path" { print $2; exit }')@$("$bin/kube-bench" version 2>/dev/null)
[[ $got == "$pkg@v$version" ]] || { log "$bin/kube-bench was built from $got, not $pkg@v$version; remove $bin"; exit 1; }

printf '%s\n' "$bin"

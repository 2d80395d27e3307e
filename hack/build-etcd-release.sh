#!/usr/bin/env bash
# Lays out an etcd release the way upstream publishes it, from the etcd and etcdctl that
# hack/build-binaries.sh built: <out>/etcd/<version>/etcd-<version>-linux-<arch>.tar.gz with a
# SHA256SUMS beside it. Serve <out> over HTTP and point spec.artifacts.baseURL at it.
#
#   build-etcd-release.sh OUT_DIR     (ETCD_VERSION, default v3.6.16; ARCH, default amd64)
set -euo pipefail

out=${1:?usage: build-etcd-release.sh OUT_DIR}
version=${ETCD_VERSION:-v3.6.16}
arch=${ARCH:-amd64}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
bin=$(ETCD_VERSION=$version bash "$here/build-binaries.sh")

name="etcd-$version-linux-$arch"
dir="$out/etcd/$version"
mkdir -p "$dir"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
install -m 0755 "$bin/etcd" "$bin/etcdctl" "$stage/$name/"
printf 'etcd %s, built from its Go modules by kubesmith hack/build-binaries.sh\n' "$version" > "$stage/$name/README.md"
# Fixed owner and times, so the same binaries give the same tarball and the same sum.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - "$name" | gzip -n > "$dir/$name.tar.gz"
(cd "$dir" && sha256sum "$name.tar.gz" > SHA256SUMS)
printf '%s\n' "$dir"

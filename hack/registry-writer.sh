# Sourced by the image builds (build-images.sh, kubeadm/build.sh): a registry of our own on a free
# loopback port writing into a storage directory, and `crane` pushing to it. Needs `work` (a
# scratch directory), `tools` (build-test-tools.sh's directory) and `die` from the caller.

# Starts the registry on storage directory $1; sets `reg` (its address) and `registry_pid`.
start_registry_writer() {
  cat >"$work/config.yml" <<EOF
version: 0.1
log: { level: info, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: $1 }
  maintenance: { uploadpurging: { enabled: false } }
http: { addr: 127.0.0.1:0 }
EOF
  # No OpenTelemetry exporter: it would send traces to a collector that is not there.
  OTEL_TRACES_EXPORTER=none "$tools/registry" serve "$work/config.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  reg=
  for ((i = 0; i < 200; i++)); do
    reg=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/registry.log" | head -n 1)
    # Logged once its socket listens, so connections from here on are accepted.
    [[ -n $reg ]] && return
    kill -0 "$registry_pid" 2>/dev/null || die "the registry exited: $(cat "$work/registry.log")"
    sleep 0.1
  done
  die "the registry did not answer: $(cat "$work/registry.log")"
}

crane() { "$tools/crane" --insecure "$@" >>"$work/crane.log" 2>&1 || die "crane $* failed: $(cat "$work/crane.log")"; }

// The container runtime and CNI plugins kubesmith installs with every Kubernetes release it runs.
// Pinned here rather than taken from the spec: they are tested together, as kubeadm's docs pin a
// containerd for each Kubernetes minor. A mirror must serve these versions (see README).
export const NODE_VERSIONS = {
  containerd: '2.4.2',
  runc: '1.4.4',
  cniPlugins: '1.9.1',
} as const;

/** The CNI plugins every node gets: `bridge` networks need the first four, `portmap` serves hostPort. */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

/** Tag of the pause image the kubelet's sandboxes run, as kubeadm pins it for this Kubernetes minor. */
export const PAUSE_TAG = '3.10.2';

// Where a node's files live on the host, in kubeadm's places where kubeadm has one.
export const NODE_PATHS = {
  containerdConfig: '/etc/containerd/config.toml',
  containerdHostsDir: '/etc/containerd/certs.d',
  containerdSocket: '/run/containerd/containerd.sock',
  kubeletConfig: '/var/lib/kubelet/config.yaml',
  kubeletKubeconfig: '/etc/kubernetes/kubelet.conf',
  kubeletServerCert: '/etc/kubernetes/pki/kubelet-server.crt',
  kubeletServerKey: '/etc/kubernetes/pki/kubelet-server.key',
  kubeProxyConfig: '/var/lib/kube-proxy/config.yaml',
  kubeProxyKubeconfig: '/etc/kubernetes/kube-proxy.conf',
  clusterCA: '/etc/kubernetes/pki/ca.crt',
  cniConfDir: '/etc/cni/net.d',
  cniBinDir: '/opt/cni/bin',
  /** systemd-resolved's list of real upstream servers, used instead of its 127.0.0.53 stub. */
  resolvedUpstreams: '/run/systemd/resolve/resolv.conf',
} as const;

// The kubelet: a KubeletConfiguration built from the plan, and its unit. It authenticates to the API
// server with the client certificate the operator issued (no bootstrap token, nothing to copy), and
// serves with a certificate signed by the cluster CA, which the API server verifies.
import { stringify } from 'yaml';
import { withExtraArgs, type Flag } from '../units/managed-flags.ts';
import { serviceUnit, unitPath } from '../units/systemd-unit.ts';
import { NODE_PATHS } from './paths.ts';
import type { NodePlan } from './plan.ts';

export const KUBELET_UNIT = unitPath('kubelet');
export const KUBELET_BINARY = '/usr/local/bin/kubelet';

/**
 * @param resolvConf the file the kubelet gives pods as upstream DNS: where the host's
 *   /etc/resolv.conf points at systemd-resolved's stub, the stub's own upstream list, or CoreDNS
 *   would forward to itself and its loop plugin would stop it.
 */
// YAML 1.1, as the kubelet reads it: a taint value such as `yes` or `on` is then quoted, where a
// YAML 1.2 writer would leave it bare and the kubelet would read a boolean and refuse to start.
export function kubeletConfig(plan: NodePlan, resolvConf: string): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: NODE_PATHS.clusterCA },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'systemd',
    clusterDNS: [plan.clusterDNS],
    clusterDomain: plan.dnsDomain,
    containerRuntimeEndpoint: `unix://${NODE_PATHS.containerdSocket}`,
    // Kubernetes 1.35 refuses cgroup v1 unless told otherwise; the host's preflight warns about it.
    ...(plan.cgroupV1 ? { failCgroupV1: false } : {}),
    ...(plan.maxPods === undefined ? {} : { maxPods: plan.maxPods }),
    readOnlyPort: 0,
    registerWithTaints: plan.taints,
    resolvConf,
    // The operator renews both certificates over SSH; the kubelet must not replace them.
    rotateCertificates: false,
    serverTLSBootstrap: false,
    tlsCertFile: NODE_PATHS.kubeletServerCert,
    tlsPrivateKeyFile: NODE_PATHS.kubeletServerKey,
    tlsMinVersion: 'VersionTLS12',
  };
  return `# Written by kubesmith; local edits are replaced.\n${stringify(config, { sortMapEntries: true, version: '1.1' })}`;
}

export function kubeletUnit(plan: NodePlan): string {
  const managed: Flag[] = [
    ['config', NODE_PATHS.kubeletConfig],
    ['hostname-override', plan.nodeName],
    ['kubeconfig', NODE_PATHS.kubeletKubeconfig],
    ['node-ip', plan.nodeIP],
  ];
  return serviceUnit({
    description: 'Kubernetes node agent',
    documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/',
    after: ['containerd.service', 'network-online.target'],
    wants: ['containerd.service', 'network-online.target'],
    type: 'simple',
    binary: KUBELET_BINARY,
    flags: withExtraArgs(managed, { field: plan.extraArgsField, args: plan.extraArgs }),
  });
}

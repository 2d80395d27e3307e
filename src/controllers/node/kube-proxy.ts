// kube-proxy as a systemd unit (not kubeadm's DaemonSet: it then needs no image, and a node whose
// API connection is down keeps its Service rules), in the ControlPlane's spec.kubeProxy.mode.
import { stringify } from 'yaml';
import { serviceUnit, unitPath } from '../units/systemd-unit.ts';
import { NODE_PATHS } from './paths.ts';
import type { NodePlan } from './plan.ts';

export const KUBE_PROXY_UNIT = unitPath('kube-proxy');
export const KUBE_PROXY_BINARY = '/usr/local/bin/kube-proxy';

export function kubeProxyConfig(plan: NodePlan): string {
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    bindAddress: '0.0.0.0',
    clientConnection: { kubeconfig: NODE_PATHS.kubeProxyKubeconfig },
    clusterCIDR: plan.podCIDR,
    hostnameOverride: plan.nodeName,
    metricsBindAddress: '127.0.0.1:10249',
    mode: plan.kubeProxyMode,
    // A container cannot write nf_conntrack_max (it is the host kernel's); kind sets the same.
    ...(plan.inContainer ? { conntrack: { maxPerCore: 0 } } : {}),
  };
  return `# Written by kubesmith; local edits are replaced.\n${stringify(config, { sortMapEntries: true, version: '1.1' })}`;
}

export function kubeProxyUnit(): string {
  return serviceUnit({
    description: 'Kubernetes network proxy',
    documentation: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/',
    after: ['network-online.target'],
    wants: ['network-online.target'],
    type: 'simple',
    binary: KUBE_PROXY_BINARY,
    flags: [['config', NODE_PATHS.kubeProxyConfig]],
  });
}

// Cluster DNS as kubeadm installs it: CoreDNS in kube-system behind the kube-dns Service at the tenth
// address of the service range (what every kubelet's clusterDNS names), two replicas kept apart,
// tolerating the control-plane taint so a cluster without workers still resolves. The `loop` plugin
// stays on: pods of CoreDNS use the kubelet's resolv.conf (dnsPolicy Default), which the Node install
// points at the host's real upstreams, never at a loopback stub (see ../../node/install.ts).
import type { ControlPlane } from '../../../api/index.ts';
import { nthAddress } from '../../../pki/index.ts';
import type { Manifest } from '../../../workload/apply.ts';

/** kubeadm's CoreDNSVersion for the Kubernetes release kubesmith pins. */
export const COREDNS_VERSION = 'v1.14.2';
export const COREDNS_NAMESPACE = 'kube-system';
export const COREDNS_NAME = 'coredns';
export const COREDNS_SELECTOR = { 'k8s-app': 'kube-dns' };
export const COREDNS_REPLICAS = 2;
const MANAGED = { 'app.kubernetes.io/managed-by': 'kubesmith' };

/** registry.k8s.io keeps CoreDNS under coredns/; a mirror given as imageRepository holds it at its root, as kubeadm expects. */
export function coreDnsImage(imageRepository: string): string {
  const path = imageRepository === 'registry.k8s.io' ? 'registry.k8s.io/coredns/coredns' : `${imageRepository}/coredns`;
  return `${path}:${COREDNS_VERSION}`;
}

export function corefile(dnsDomain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${dnsDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
}

export function coreDnsManifests(cp: ControlPlane): Manifest[] {
  const { clusterNetwork, imageRepository } = cp.spec;
  const namespace = COREDNS_NAMESPACE;
  const labels = { ...COREDNS_SELECTOR, ...MANAGED };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: COREDNS_NAME, namespace, labels: MANAGED } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns', labels: MANAGED },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    } as Manifest,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns', labels: MANAGED },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: COREDNS_NAME, namespace }],
    } as Manifest,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: COREDNS_NAME, namespace, labels: MANAGED }, data: { Corefile: corefile(clusterNetwork.dnsDomain) } } as Manifest,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: COREDNS_NAME, namespace, labels },
      spec: {
        replicas: COREDNS_REPLICAS,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        selector: { matchLabels: COREDNS_SELECTOR },
        template: {
          metadata: { labels: COREDNS_SELECTOR },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: COREDNS_NAME,
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: COREDNS_SELECTOR }, topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
            containers: [
              {
                name: 'coredns',
                image: coreDnsImage(imageRepository),
                imagePullPolicy: 'IfNotPresent',
                // A crash (a forwarding loop, say) shows its last log lines in the pod status, for CoreDNSReady.
                terminationMessagePolicy: 'FallbackToLogsOnError',
                args: ['-conf', '/etc/coredns/Corefile'],
                resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
                volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
                livenessProbe: { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, failureThreshold: 5 },
                // Every 2 s, not the default 10: a replica that starts before its first answer
                // (the usual case) then takes traffic about 8 s sooner, at each start and restart.
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 2 },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            // The kubelet's resolv.conf: the upstreams `forward . /etc/resolv.conf` sends other names to.
            dnsPolicy: 'Default',
            volumes: [{ name: 'config-volume', configMap: { name: COREDNS_NAME, items: [{ key: 'Corefile', path: 'Corefile' }] } }],
          },
        },
      },
    } as Manifest,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace, labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' }, annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } },
      spec: {
        selector: COREDNS_SELECTOR,
        clusterIP: nthAddress(clusterNetwork.serviceCIDR, 10),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    } as Manifest,
  ];
}

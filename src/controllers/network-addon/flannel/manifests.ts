// The flannel add-on as its upstream manifest has it (namespace, RBAC, net-conf.json, the flanneld
// DaemonSet with the Kubernetes subnet manager), with two changes that follow from kubesmith
// managing the hosts: flanneld touches no iptables (--ip-masq=false, --iptables-forward-rules=false;
// kubesmith keeps the one masquerade rule the pods need, as for `bridge`), so its image needs no
// iptables; and no init containers copy a CNI plugin and config onto the host, since kubesmith
// writes the CNI config over SSH once flanneld has written the Node's lease (see host.ts).
import type { ControlPlane, NetworkAddon } from '../../../api/index.ts';
import type { Manifest } from '../../../workload/apply.ts';

export const FLANNEL_VERSION = 'v0.28.10';
export const FLANNEL_NAMESPACE = 'kube-flannel';
export const FLANNEL_DAEMONSET = 'kube-flannel-ds';
export const FLANNEL_SELECTOR = { app: 'flannel' };
const MANAGED = { 'app.kubernetes.io/managed-by': 'kubesmith' };
/** The ports vxlan uses between hosts (flannel's default, Linux's IANA-era one). */
export const VXLAN_PORT = 8472;

/** registry.k8s.io has no flannel: the default repository means upstream's; a mirror holds it at its root. */
export function flannelImage(imageRepository: string): string {
  const repository = imageRepository === 'registry.k8s.io' ? 'ghcr.io/flannel-io' : imageRepository;
  return `${repository}/flannel:${FLANNEL_VERSION}`;
}

export function flannelBackend(addon: NetworkAddon): 'vxlan' | 'host-gw' {
  return addon.spec.flannel?.backend ?? 'vxlan';
}

export function netConf(podCIDR: string, backend: 'vxlan' | 'host-gw'): string {
  const backendConf = backend === 'vxlan' ? { Type: 'vxlan', Port: VXLAN_PORT } : { Type: 'host-gw' };
  return `${JSON.stringify({ Network: podCIDR, EnableNFTables: false, Backend: backendConf }, null, 2)}\n`;
}

export function flannelManifests(cp: ControlPlane, addon: NetworkAddon): Manifest[] {
  const namespace = FLANNEL_NAMESPACE;
  const labels = { ...FLANNEL_SELECTOR, ...MANAGED };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { ...MANAGED, 'pod-security.kubernetes.io/enforce': 'privileged' } },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'flannel', namespace, labels: MANAGED } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'flannel', labels: MANAGED },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      ],
    } as Manifest,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'flannel', labels: MANAGED },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flannel' },
      subjects: [{ kind: 'ServiceAccount', name: 'flannel', namespace }],
    } as Manifest,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-flannel-cfg', namespace, labels },
      data: { 'net-conf.json': netConf(cp.spec.clusterNetwork.podCIDR, flannelBackend(addon)) },
    } as Manifest,
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: FLANNEL_DAEMONSET, namespace, labels },
      spec: {
        selector: { matchLabels: FLANNEL_SELECTOR },
        template: {
          metadata: { labels: FLANNEL_SELECTOR },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'flannel',
            tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'kube-flannel',
                image: flannelImage(cp.spec.imageRepository),
                imagePullPolicy: 'IfNotPresent',
                args: ['--kube-subnet-mgr', '--ip-masq=false', '--iptables-forward-rules=false'],
                resources: { requests: { cpu: '100m', memory: '50Mi' } },
                securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
                ],
                volumeMounts: [
                  { name: 'run', mountPath: '/run/flannel' },
                  { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' },
                ],
              },
            ],
            volumes: [
              { name: 'run', hostPath: { path: '/run/flannel', type: 'DirectoryOrCreate' } },
              { name: 'flannel-cfg', configMap: { name: 'kube-flannel-cfg' } },
            ],
          },
        },
      },
    } as Manifest,
  ];
}

// The certificate set kubesmith makes, matching kubeadm's (cmd/kubeadm/app/phases/certs/certlist.go
// and the kubeconfig phase): same CAs, common names, organisations, usages, SANs and file names, so
// that tools and people who know a kubeadm cluster find what they expect in /etc/kubernetes.
import { altNames } from './alt-names.ts';
import { defineCertificateSet } from './certificate-set.ts';
import { firstAddress } from './ip.ts';
import type { AuthoritySpec, KeyUsageName, PkiSpec } from './spec.ts';

// kubeadm's usages. keyEncipherment only means something for RSA key transport; generation and
// verification drop it for ECDSA keys, as current kubeadm and Go's crypto/x509 examples do.
const LEAF: readonly KeyUsageName[] = ['digitalSignature', 'keyEncipherment'];
const CA: readonly KeyUsageName[] = ['digitalSignature', 'keyEncipherment', 'keyCertSign'];

/** Group bound to cluster-admin by a ClusterRoleBinding of the same name, which the controller creates. */
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';
/** Group the API server grants everything, bypassing RBAC; kept for the break-glass super-admin. */
export const MASTERS_GROUP = 'system:masters';

const authority = (spec: Omit<AuthoritySpec, 'kind' | 'keyUsages'>): AuthoritySpec => ({
  kind: 'authority',
  keyUsages: CA,
  ...spec,
});

const specs: PkiSpec[] = [
  authority({
    name: 'ca',
    description: 'Kubernetes CA: identities of the API server, components, nodes and users',
    file: 'ca',
    commonName: 'kubernetes',
    secret: 'ca',
    certificateOn: ['control-plane', 'worker'],
    // kube-controller-manager signs kubelet and user CSRs with it (--cluster-signing-key-file).
    keyOn: ['control-plane'],
  }),
  authority({
    name: 'front-proxy-ca',
    description: 'CA of the aggregation layer front proxy',
    file: 'front-proxy-ca',
    commonName: 'front-proxy-ca',
    secret: 'proxy',
    certificateOn: ['control-plane'],
    // No component signs with it: certificates are made in the management cluster, so the key
    // stays there instead of on every control-plane host as with kubeadm.
    keyOn: [],
  }),
  authority({
    name: 'etcd/ca',
    description: 'etcd CA: etcd members, peers and their clients',
    file: 'etcd/ca',
    commonName: 'etcd-ca',
    secret: 'etcd',
    certificateOn: ['control-plane'],
    keyOn: [],
  }),
  {
    kind: 'key-pair',
    name: 'sa',
    description: 'service-account token signing key pair',
    file: 'sa',
    secret: 'sa',
    on: ['control-plane'],
  },
  {
    kind: 'certificate',
    name: 'apiserver',
    description: 'serving certificate of the Kubernetes API',
    ca: 'ca',
    scope: 'host',
    output: { type: 'pki', file: 'apiserver' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['serverAuth'],
    subject: () => ({ commonName: 'kube-apiserver' }),
    // As kubeadm's GetAPIServerAltNames: no localhost or 127.0.0.1, which kubeadm leaves to certSANs.
    sans: ({ cluster, host }) =>
      altNames(
        host.hostname,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        `kubernetes.default.svc.${cluster.dnsDomain}`,
        firstAddress(cluster.serviceCIDR),
        ...host.ips,
        cluster.endpoint.host,
        ...(cluster.extraAPIServerSANs ?? []),
      ),
  },
  {
    kind: 'certificate',
    name: 'apiserver-kubelet-client',
    description: 'client certificate of the API server towards kubelets',
    ca: 'ca',
    scope: 'host',
    output: { type: 'pki', file: 'apiserver-kubelet-client' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'kube-apiserver-kubelet-client', organizations: [CLUSTER_ADMINS_GROUP] }),
  },
  {
    kind: 'certificate',
    name: 'front-proxy-client',
    description: 'client certificate of the API server towards aggregated API servers',
    ca: 'front-proxy-ca',
    scope: 'host',
    output: { type: 'pki', file: 'front-proxy-client' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'front-proxy-client' }),
  },
  {
    kind: 'certificate',
    name: 'etcd/server',
    description: 'serving certificate of etcd towards its clients',
    ca: 'etcd/ca',
    scope: 'host',
    output: { type: 'pki', file: 'etcd/server' },
    on: ['control-plane'],
    keyUsages: LEAF,
    // etcd also uses the serving certificate as a client (gateway, grpc-proxy), so kubeadm gives it both.
    extKeyUsages: ['serverAuth', 'clientAuth'],
    subject: ({ host }) => ({ commonName: host.hostname }),
    sans: ({ host }) => altNames(host.hostname, 'localhost', ...host.ips, '127.0.0.1', '::1'),
  },
  {
    kind: 'certificate',
    name: 'etcd/peer',
    description: 'certificate of etcd members towards each other',
    ca: 'etcd/ca',
    scope: 'host',
    output: { type: 'pki', file: 'etcd/peer' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['serverAuth', 'clientAuth'],
    subject: ({ host }) => ({ commonName: host.hostname }),
    sans: ({ host }) => altNames(host.hostname, ...host.ips),
  },
  {
    kind: 'certificate',
    name: 'etcd/healthcheck-client',
    description: 'client certificate for etcd health checks',
    ca: 'etcd/ca',
    scope: 'host',
    output: { type: 'pki', file: 'etcd/healthcheck-client' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'kube-etcd-healthcheck-client' }),
  },
  {
    kind: 'certificate',
    name: 'apiserver-etcd-client',
    description: 'client certificate of the API server towards etcd',
    ca: 'etcd/ca',
    scope: 'host',
    output: { type: 'pki', file: 'apiserver-etcd-client' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'kube-apiserver-etcd-client' }),
  },
  {
    kind: 'certificate',
    name: 'admin',
    description: 'cluster administrator (RBAC cluster-admin through the kubeadm:cluster-admins group)',
    ca: 'ca',
    scope: 'cluster',
    output: { type: 'kubeconfig', file: 'admin.conf', server: 'endpoint' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'kubernetes-admin', organizations: [CLUSTER_ADMINS_GROUP] }),
  },
  {
    kind: 'certificate',
    name: 'super-admin',
    description:
      'break-glass administrator in system:masters, which RBAC cannot revoke; on control-plane hosts only ' +
      '(mode 0600, as kubeadm does), and used by the controller to create the kubeadm:cluster-admins binding',
    ca: 'ca',
    scope: 'cluster',
    output: { type: 'kubeconfig', file: 'super-admin.conf', server: 'endpoint' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'kubernetes-super-admin', organizations: [MASTERS_GROUP] }),
  },
  {
    kind: 'certificate',
    name: 'controller-manager',
    description: 'kube-controller-manager identity',
    ca: 'ca',
    scope: 'host',
    output: { type: 'kubeconfig', file: 'controller-manager.conf', server: 'local' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'system:kube-controller-manager' }),
  },
  {
    kind: 'certificate',
    name: 'scheduler',
    description: 'kube-scheduler identity',
    ca: 'ca',
    scope: 'host',
    output: { type: 'kubeconfig', file: 'scheduler.conf', server: 'local' },
    on: ['control-plane'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'system:kube-scheduler' }),
  },
  {
    kind: 'certificate',
    name: 'kubelet',
    description: 'kubelet identity of the node (Node authorizer and NodeRestriction)',
    ca: 'ca',
    scope: 'host',
    output: { type: 'kubeconfig', file: 'kubelet.conf', server: 'endpoint' },
    on: ['control-plane', 'worker'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: ({ host }) => ({ commonName: `system:node:${host.hostname}`, organizations: ['system:nodes'] }),
  },
  {
    kind: 'certificate',
    name: 'kubelet-server',
    description:
      "kubelet serving certificate, signed by the cluster CA so the API server verifies kubelets " +
      "(--kubelet-certificate-authority); kubeadm leaves the kubelet to sign its own, which nobody can verify",
    ca: 'ca',
    scope: 'host',
    output: { type: 'pki', file: 'kubelet-server' },
    on: ['control-plane', 'worker'],
    keyUsages: LEAF,
    extKeyUsages: ['serverAuth'],
    subject: ({ host }) => ({ commonName: `system:node:${host.hostname}`, organizations: ['system:nodes'] }),
    sans: ({ host }) => altNames(host.hostname, ...host.ips),
  },
  {
    kind: 'certificate',
    name: 'kube-proxy',
    description: 'kube-proxy identity (the system:node-proxier role is bound to this user)',
    ca: 'ca',
    scope: 'host',
    output: { type: 'kubeconfig', file: 'kube-proxy.conf', server: 'endpoint' },
    on: ['control-plane', 'worker'],
    keyUsages: LEAF,
    extKeyUsages: ['clientAuth'],
    subject: () => ({ commonName: 'system:kube-proxy' }),
  },
];

/** kubesmith's certificate set; importing this module fails if the list is inconsistent. */
export const kubeadmCertificateSet = defineCertificateSet(specs);

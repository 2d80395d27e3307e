// kube-apiserver: kubeadm's flags (cmd/kubeadm/app/phases/controlplane/manifests.go) plus the CIS
// benchmark items an installer controls: no profiling, TLS 1.2 or later, an audit log that rotates,
// Secrets encrypted at rest, anonymous requests only to the health endpoints, and service-account
// tokens that expire when asked (1.2.30), not a year later.
// The port the controller-manager and scheduler kubeconfigs name for the API server on their host.
import { DEFAULT_API_SERVER_PORT } from '../../../pki/kubeconfig.ts';
import { AUDIT_LOG_PATH, AUDIT_POLICY_PATH } from './audit-policy.ts';
import { AUTHENTICATION_CONFIG_PATH } from './authentication-config.ts';
import { defineComponent } from './component.ts';
import { ENCRYPTION_CONFIG_PATH } from './encryption.ts';
import { PKI_FILES as pki } from './pki-files.ts';

export const API_SERVER_PORT = DEFAULT_API_SERVER_PORT;

export const kubeApiServer = defineComponent({
  name: 'kube-apiserver',
  summary: 'Kubernetes API server',
  healthURL: `https://127.0.0.1:${API_SERVER_PORT}/readyz`,
  extraArgsField: 'apiServer',
  // Stacked etcd: on a host that also runs the API server, a restart of both brings etcd up first.
  after: ['etcd.service'],
  unitType: 'notify',
  // In name order, as kubeadm writes them, so a kubeadm manifest and this unit compare line by line.
  managedFlags: (plan) => [
    ['advertise-address', plan.advertiseIP],
    ['allow-privileged', 'true'],
    ['audit-log-maxage', '30'],
    ['audit-log-maxbackup', '10'],
    ['audit-log-maxsize', '100'],
    ['audit-log-path', AUDIT_LOG_PATH],
    ['audit-policy-file', AUDIT_POLICY_PATH],
    ['authentication-config', AUTHENTICATION_CONFIG_PATH],
    ['authorization-mode', 'Node,RBAC'],
    ['client-ca-file', pki.ca],
    ['enable-admission-plugins', 'NodeRestriction'],
    ['encryption-provider-config', ENCRYPTION_CONFIG_PATH],
    ['etcd-cafile', pki.etcdCA],
    ['etcd-certfile', pki.apiServerEtcdClientCert],
    ['etcd-keyfile', pki.apiServerEtcdClientKey],
    ['etcd-servers', plan.etcdServers.join(',')],
    // The kubelets serve with certificates the operator signs with the cluster CA (node/kubelet.ts).
    ['kubelet-certificate-authority', pki.ca],
    ['kubelet-client-certificate', pki.apiServerKubeletClientCert],
    ['kubelet-client-key', pki.apiServerKubeletClientKey],
    ['kubelet-preferred-address-types', 'InternalIP,ExternalIP,Hostname'],
    ['profiling', 'false'],
    ['proxy-client-cert-file', pki.frontProxyClientCert],
    ['proxy-client-key-file', pki.frontProxyClientKey],
    ['requestheader-allowed-names', 'front-proxy-client'],
    ['requestheader-client-ca-file', pki.frontProxyCA],
    ['requestheader-extra-headers-prefix', 'X-Remote-Extra-'],
    ['requestheader-group-headers', 'X-Remote-Group'],
    ['requestheader-username-headers', 'X-Remote-User'],
    ['secure-port', String(API_SERVER_PORT)],
    // The extension (a year instead of the hour asked for) bridged clients that read their token
    // once, such as client-go before v0.15; clients since then reread their projected token.
    ['service-account-extend-token-expiration', 'false'],
    ['service-account-issuer', `https://kubernetes.default.svc.${plan.dnsDomain}`],
    ['service-account-key-file', pki.serviceAccountPublicKey],
    ['service-account-signing-key-file', pki.serviceAccountKey],
    ['service-cluster-ip-range', plan.serviceCIDR],
    // A stopping API server keeps listening, answering new requests 429 with Retry-After, until the
    // requests in flight are done, then closes within 2 s. Without it, it stops listening at once and
    // waits the whole request timeout (60 s) for its clients' watches to end: a member restarted
    // in a rolling change was unreachable for a minute.
    ['shutdown-send-retry-after', 'true'],
    ['tls-cert-file', pki.apiServerCert],
    ['tls-min-version', 'VersionTLS12'],
    ['tls-private-key-file', pki.apiServerKey],
  ],
  // kube-apiserver refuses to start with --anonymous-auth next to an authentication config that
  // configures anonymous access, and with --authorization-config next to --authorization-mode.
  reserved: (name) => name === 'anonymous-auth' || name === 'authorization-config',
});

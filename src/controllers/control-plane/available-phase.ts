// Available: the API server answers at the cluster endpoint, reached through an SSH tunnel from a
// member (so only port 22 must be open from the management cluster); the admin group is bound to
// cluster-admin; and the admin kubeconfig is in `<name>-kubeconfig`, in Cluster API's shape.
import { KubesmithError } from '../../errors.ts';
import {
  apiServerURL,
  buildKubeconfig,
  CLUSTER_ADMINS_GROUP,
  clusterSecretName,
  issueCertificate,
  kubeadmCertificateSet,
  kubeconfigSecret,
} from '../../pki/index.ts';
import type { Phase, PhaseOutcome } from '../phases.ts';
import { clusterCA, operatorIdentity, requestThrough } from './cluster-access.ts';
import { createOnce, generationOptions, getSecret, ownedBy } from './cluster-secrets.ts';
import { API_SERVER_PORT } from './components/index.ts';
import { clusterFacts } from './pki/phase.ts';
import type { ControlPlaneScope } from './scope.ts';
import { ClusterApiError, type TunnelRequest, type TunnelResponse } from '../../workload/tunnel-request.ts';
import { HostError } from '../../host/index.ts';

/** The API answered, but not as a working API server does. */
export class ApiNotServingError extends KubesmithError {
  readonly reason = 'ApiNotServing';
}

/** A request to the API at the endpoint, from the first member that can open the tunnel. */
async function atEndpoint(scope: ControlPlaneScope, request: Omit<TunnelRequest, 'verify'>): Promise<TunnelResponse> {
  const { endpoint } = scope;
  const verify = { caPem: clusterCA(scope), serverName: endpoint.host };
  let lastError: unknown;
  for (const member of scope.members) {
    try {
      return await requestThrough(scope, member, endpoint.host, endpoint.port, { ...request, verify });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** kubeadm's binding of the admin group to cluster-admin, without which admin.conf can do nothing. */
const clusterAdminsBinding = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: CLUSTER_ADMINS_GROUP },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: CLUSTER_ADMINS_GROUP }],
};

async function ensureClusterAdmins(scope: ControlPlaneScope): Promise<void> {
  const identity = await operatorIdentity(scope.cp, scope.material!, scope.endpoint);
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`;
  const found = await atEndpoint(scope, { method: 'GET', path: `${path}/${encodeURIComponent(CLUSTER_ADMINS_GROUP)}`, identity });
  if (found.status === 200) return;
  const created = await atEndpoint(scope, { method: 'POST', path, body: clusterAdminsBinding, identity });
  if (created.status !== 201 && created.status !== 409) {
    throw new ApiNotServingError(`creating ClusterRoleBinding ${CLUSTER_ADMINS_GROUP} answered ${created.status}: ${created.body.slice(0, 300)}`);
  }
  scope.notices.push({ type: 'Normal', reason: 'ClusterAdminsBound', message: `bound group ${CLUSTER_ADMINS_GROUP} to cluster-admin` });
}

/** The admin kubeconfig in `<name>-kubeconfig`, made once from the cluster CA. */
async function ensureKubeconfigSecret(scope: ControlPlaneScope): Promise<string> {
  const { cp, deps } = scope;
  const namespace = cp.metadata.namespace!;
  const name = clusterSecretName(cp.metadata.name!, 'kubeconfig');
  if (await getSecret(deps.client, namespace, name)) return name;
  const ca = scope.material!.authorities.get('ca')!;
  const spec = kubeadmCertificateSet.certificates.find((c) => c.name === 'admin')!;
  const admin = await issueCertificate(spec, { cluster: clusterFacts(cp, scope.endpoint) }, ca, generationOptions(cp));
  const kubeconfig = buildKubeconfig({
    clusterName: cp.metadata.name!,
    server: apiServerURL(scope.endpoint.host, scope.endpoint.port),
    caCertPem: ca.certPem,
    userName: 'kubernetes-admin',
    clientCertPem: admin.certPem,
    clientKeyPem: admin.keyPem,
  });
  const result = await createOnce(deps.client, namespace, ownedBy(cp, kubeconfigSecret({ cluster: cp.metadata.name!, namespace }, kubeconfig)));
  if (result.created) scope.notices.push({ type: 'Normal', reason: 'SecretCreated', message: `created Secret ${name}` });
  return name;
}

/** The version every member's API server reports; undefined while they differ. */
async function servedVersion(scope: ControlPlaneScope): Promise<string | undefined> {
  const identity = await operatorIdentity(scope.cp, scope.material!, scope.endpoint);
  const versions = await Promise.all(
    scope.members.map(async (member) => {
      try {
        const response = await requestThrough(scope, member, '127.0.0.1', API_SERVER_PORT, {
          method: 'GET',
          path: '/version',
          identity,
          verify: { caPem: clusterCA(scope), serverName: member.ip },
        });
        return response.status === 200 ? (JSON.parse(response.body) as { gitVersion?: string }).gitVersion : undefined;
      } catch (error) {
        // A member that does not answer runs no known version; the others still serve.
        if (error instanceof ClusterApiError || error instanceof HostError) return undefined;
        throw error;
      }
    }),
  );
  return versions.every((v) => v !== undefined && v === versions[0]) ? versions[0] : undefined;
}

/**
 * Needs only the certificates (for the CA and the operator's identity), not healthy components or a
 * healthy etcd: a control plane with one member down still serves, and says so.
 */
export const availablePhase: Phase<ControlPlaneScope> = {
  condition: 'Available',
  needs: ['CertificatesReady'],
  // WorkerPools and NetworkAddons start on it; NodesRegistered, after it, takes a while.
  publishes: true,
  does: 'the API server is reached at the endpoint',
  async run(scope): Promise<PhaseOutcome> {
    let ready: TunnelResponse;
    try {
      ready = await atEndpoint(scope, { method: 'GET', path: '/readyz' });
    } catch (error) {
      if (!(error instanceof ClusterApiError || error instanceof HostError)) throw error;
      return { status: 'False', reason: 'ApiNotServing', message: `no API server answers at ${scope.status.endpoint}: ${error.message}` };
    }
    if (ready.status !== 200) {
      return { status: 'False', reason: 'ApiNotReady', message: `${scope.status.endpoint}/readyz answered ${ready.status}: ${ready.body.trim().split('\n').slice(-3).join('; ')}` };
    }
    await ensureClusterAdmins(scope);
    const secret = await ensureKubeconfigSecret(scope);
    scope.status.kubeconfigSecretRef = { name: secret };
    const version = await servedVersion(scope);
    if (version) scope.status.version = version;
    const running = version === scope.cp.spec.version ? `, running ${version} on every member` : '';
    return { status: 'True', reason: 'Serving', message: `the API server answers at ${scope.status.endpoint}${running}; admin kubeconfig in Secret ${secret}` };
  },
};

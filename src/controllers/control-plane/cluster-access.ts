// How the operator reaches the cluster it built: HTTPS over an SSH tunnel through a member, so only
// port 22 has to be open from the management cluster, with TLS verified against the cluster CA. Its
// own identity is a system:masters client certificate made in memory from the CA and never written
// anywhere, as kubeadm uses super-admin.conf for the one binding that makes admin.conf work.
import { issueCertificate, kubeadmCertificateSet } from '../../pki/index.ts';
import type { SshPool, UnreachableHosts } from '../../host/index.ts';
import { ClusterApiError, sendOverTunnel, type ClientIdentity, type TunnelRequest, type TunnelResponse } from '../../workload/tunnel-request.ts';
import { target, type TargetDeps } from '../machine-host/reconciler.ts';
import { throwIfAborted } from '../phases.ts';
import type { ControlPlane } from '../../api/index.ts';
import { WorkloadApi } from '../../workload/api.ts';
import { generationOptions, type ClusterMaterial } from './cluster-secrets.ts';
import type { Member } from './members.ts';
import { clusterFacts } from './pki/phase.ts';
import type { ControlPlaneScope, Endpoint } from './scope.ts';

const identities = new Map<string, Promise<ClientIdentity>>();

/** The operator's identity for this cluster, made once per process and CA. */
export function operatorIdentity(cp: ControlPlane, material: ClusterMaterial, endpoint: Endpoint): Promise<ClientIdentity> {
  const ca = material.authorities.get('ca')!;
  const key = `${cp.metadata.uid}/${ca.certPem}`;
  let identity = identities.get(key);
  if (!identity) {
    const spec = kubeadmCertificateSet.certificates.find((c) => c.name === 'super-admin')!;
    identity = issueCertificate(spec, { cluster: clusterFacts(cp, endpoint) }, ca, { ...generationOptions(cp), keyAlgorithm: 'ECDSAP256' }).then(
      (issued) => ({ certPem: issued.certPem, keyPem: issued.keyPem }),
    );
    identity.catch(() => identities.delete(key));
    identities.set(key, identity);
  }
  return identity;
}

/** A reconcile's part in its API calls: its signal stops them, and hosts it could not reach are skipped. */
export interface ReconcileWork {
  signal: AbortSignal;
  unreachable: UnreachableHosts;
}

/**
 * The operator's client for the cluster API at its endpoint, tunnelled through the members in turn
 * (the first that opens the tunnel answers), verified against the cluster CA.
 */
export function clusterApi(
  deps: TargetDeps & { pool: SshPool },
  cluster: { cp: ControlPlane; material: ClusterMaterial; endpoint: Endpoint; members: readonly Member[] },
  work: ReconcileWork,
): WorkloadApi {
  const { cp, material, endpoint, members } = cluster;
  const verify = { caPem: material.authorities.get('ca')!.certPem, serverName: endpoint.host };
  const identity = operatorIdentity(cp, material, endpoint);
  return new WorkloadApi(async (request) => {
    let lastError: unknown = new ClusterApiError(`ControlPlane ${cp.metadata.name} holds no host to reach its API through`);
    for (const member of members) {
      throwIfAborted(work.signal);
      try {
        const stream = await deps.pool.openTunnel(target(deps, member.host), endpoint.host, endpoint.port, work);
        return await sendOverTunnel(stream, { ...request, verify, identity: await identity });
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  });
}

export function workloadApiOf(scope: ControlPlaneScope): WorkloadApi {
  return clusterApi(scope.deps, { ...scope, material: scope.material! }, scope);
}

/** One HTTPS request from `member` to `address:port`, through the SSH tunnel. */
export async function requestThrough(scope: ControlPlaneScope, member: Member, address: string, port: number, request: TunnelRequest): Promise<TunnelResponse> {
  throwIfAborted(scope.signal);
  const stream = await scope.deps.pool.openTunnel(target(scope.deps, member.host), address, port, scope);
  return sendOverTunnel(stream, request);
}

export function clusterCA(scope: ControlPlaneScope): string {
  return scope.material!.authorities.get('ca')!.certPem;
}

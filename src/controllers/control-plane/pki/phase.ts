// The PKI phase (CertificatesReady): the cluster's CAs and service-account key from their Secrets,
// then every claimed host's files reviewed and completed, hosts in parallel; kubeconfigs included.
import type { ControlPlane } from '../../../api/index.ts';
import { KubesmithError } from '../../../errors.ts';
import { expiryReport, KUBERNETES_DIR, type ClusterFacts, type ExpiryItem } from '../../../pki/index.ts';
import type { Phase } from '../../phases.ts';
import { settleAll } from '../../settle.ts';
import { ensureClusterMaterial, generationOptions } from '../cluster-secrets.ts';
import { convergeHostPki, pkiSlots } from './host-pki.ts';
import { removeFiles } from '../../remote-files.ts';
import type { ControlPlaneScope, Endpoint } from '../scope.ts';

const PKI_DIR = `${KUBERNETES_DIR}/pki`;

/** Everything a member's host gets under /etc/kubernetes, for the teardown to take back. */
function pkiPaths(): string[] {
  return pkiSlots().map((s) => s.path);
}

export function clusterFacts(cp: ControlPlane, endpoint: Endpoint): ClusterFacts {
  return {
    name: cp.metadata.name!,
    dnsDomain: cp.spec.clusterNetwork.dnsDomain,
    serviceCIDR: cp.spec.clusterNetwork.serviceCIDR,
    endpoint,
  };
}

export const certificatesPhase: Phase<ControlPlaneScope> = {
  condition: 'CertificatesReady',
  needs: ['HostsClaimed'],
  does: 'certificates are made',
  async run(scope) {
    const { cp, deps, members } = scope;
    // A CA or key in a Secret that cannot be used is a PkiError whose reason the runner reports.
    const material = await ensureClusterMaterial(deps.client, cp);
    scope.material = material;
    for (const name of material.created) scope.notices.push({ type: 'Normal', reason: 'SecretCreated', message: `created Secret ${name}` });
    const cluster = clusterFacts(cp, scope.endpoint);
    const options = generationOptions(cp);
    const results = await Promise.allSettled(
      members.map((member) =>
        scope.onHost(member, (session) =>
          convergeHostPki(session, { role: 'control-plane', cluster, member, authorities: material.authorities, serviceAccount: material.serviceAccount, options }, pkiSlots()),
        ),
      ),
    );
    const items: ExpiryItem[] = [...material.authorities.values()].map((a) => ({ name: a.spec.name, certificate: a.certificate }));
    const conflicts: string[] = [];
    const failures: { name: string; error: unknown }[] = [];
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') failures.push({ name: members[i]!.name, error: result.reason });
      else {
        items.push(...result.value.expiry);
        conflicts.push(...result.value.conflicts.map((d) => d.message));
      }
    }
    scope.status.certificates = expiryReport(items);
    if (failures.length > 0) {
      const first = failures.find((f) => f.error instanceof KubesmithError)?.error;
      if (!(first instanceof KubesmithError)) throw failures[0]!.error;
      const message = failures.map((f) => `${f.name}: ${(f.error as Error).message}`).join('; ');
      return { status: 'False', reason: first.reason, message, needsPerson: first.needsPerson };
    }
    if (conflicts.length > 0) {
      const message =
        `${conflicts.join('; ')}. kubesmith does not overwrite a certificate it did not make or that differs from the plan: ` +
        'fix or remove the file on the host and it is made again';
      return { status: 'False', reason: 'CertificateMismatch', message, needsPerson: true };
    }
    const soonest = scope.status.certificates.find((c) => c.host !== undefined);
    const message = `certificates in place on ${members.length} host${members.length === 1 ? '' : 's'}` + (soonest ? `; first expiry ${soonest.notAfter}` : '');
    return { status: 'True', reason: 'CertificatesReady', message };
  },
  async teardown(scope) {
    await settleAll(
      scope.members.map((member) =>
        scope.onHost(member, async (s) => {
          if (await removeFiles(s, pkiPaths(), 'removed the cluster certificates and kubeconfigs')) {
            // The directories go too when nothing else is in them; anything else found there stays.
            await s.check(`rmdir --ignore-fail-on-non-empty ${PKI_DIR}/etcd ${PKI_DIR} 2>/dev/null || true`);
          }
        }),
      ),
    );
  },
};

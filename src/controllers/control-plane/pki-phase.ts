// The PKI phase (CertificatesReady): the cluster's CAs and service-account key from their Secrets,
// then every claimed host's files reviewed and completed, hosts in parallel.
import type { ControlPlane } from '../../api/index.ts';
import { AuthorityLoadError, PkiError, SecretDataError, expiryReport, type ClusterFacts, type ExpiryEntry, type ExpiryItem } from '../../pki/index.ts';
import type { ConditionInput } from '../../runtime/conditions.ts';
import type { KubeClient } from '../../runtime/kube-client.ts';
import { ensureClusterMaterial, generationOptions, type ClusterMaterial } from './cluster-secrets.ts';
import type { OnHost } from './etcd-cluster.ts';
import { convergeHostPki } from './host-pki.ts';
import type { Member } from './members.ts';

export interface PkiOutcome {
  condition: ConditionInput;
  /** Undefined when the phase did not get far enough to know them. */
  certificates?: ExpiryEntry[];
  material?: ClusterMaterial;
}

/** A CA or key in a Secret that cannot be used: a person has to fix the Secret. */
function materialProblem(error: PkiError): ConditionInput {
  const reason = error instanceof AuthorityLoadError ? 'CAUnusable' : error instanceof SecretDataError ? 'SecretIncomplete' : 'KeyMaterialInvalid';
  return { type: 'CertificatesReady', status: 'False', reason, message: error.message };
}

export function clusterFacts(cp: ControlPlane, members: readonly Member[]): ClusterFacts {
  const endpoint = cp.spec.endpoint ?? { host: members[0]!.ip, port: 6443 };
  return {
    name: cp.metadata.name!,
    dnsDomain: cp.spec.clusterNetwork.dnsDomain,
    serviceCIDR: cp.spec.clusterNetwork.serviceCIDR,
    endpoint,
  };
}

const reasonOf = (error: unknown) => (error as { reason?: string }).reason ?? 'Error';

export async function runPkiPhase(client: KubeClient, cp: ControlPlane, members: readonly Member[], onHost: OnHost): Promise<PkiOutcome> {
  let material: ClusterMaterial;
  try {
    material = await ensureClusterMaterial(client, cp);
  } catch (error) {
    if (error instanceof PkiError) return { condition: materialProblem(error) };
    throw error;
  }
  const cluster = clusterFacts(cp, members);
  const options = generationOptions(cp);
  const results = await Promise.allSettled(
    members.map((member) =>
      onHost(member, (session) =>
        convergeHostPki(session, { cluster, member, authorities: material.authorities, serviceAccount: material.serviceAccount, options }),
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
  const certificates = expiryReport(items);
  if (failures.length > 0) {
    const message = failures.map((f) => `${f.name}: ${(f.error as Error).message}`).join('; ');
    return { condition: { type: 'CertificatesReady', status: 'False', reason: reasonOf(failures[0]!.error), message }, certificates, material };
  }
  if (conflicts.length > 0) {
    const message =
      `${conflicts.join('; ')}. kubesmith does not overwrite a certificate it did not make or that differs from the plan: ` +
      'fix or remove the file on the host and it is made again';
    return { condition: { type: 'CertificatesReady', status: 'False', reason: 'CertificateMismatch', message }, certificates, material };
  }
  const soonest = certificates.find((c) => c.host !== undefined);
  const message = `certificates in place on ${members.length} host${members.length === 1 ? '' : 's'}` + (soonest ? `; first expiry ${soonest.notAfter}` : '');
  return { condition: { type: 'CertificatesReady', status: 'True', reason: 'CertificatesReady', message }, certificates, material };
}

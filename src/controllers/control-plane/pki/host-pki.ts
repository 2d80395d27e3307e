// The PKI of one control-plane host: what it has is reviewed against the cluster's CAs and this
// host's names; missing files are made, our expiring ones renewed, and anything that does not match
// (a wrong SAN, another CA, a foreign key) is reported and left exactly as it is.
import type { HostSession } from '../../../host/index.ts';
import { writeFiles } from '../../../host/index.ts';
import {
  decodeCertificate,
  hostFileLayout,
  issueCertificate,
  kubeadmCertificateSet,
  kubeconfigFor,
  readKubeconfig,
  reviewHostFiles,
  type Authority,
  type CertificateDifference,
  type ClusterFacts,
  type ExpiryItem,
  type GenerationOptions,
  type HostFile,
  type HostFileSlot,
  type HostRole,
  type IssuedCertificate,
  type ServiceAccountKey,
} from '../../../pki/index.ts';
import type { Member } from '../members.ts';
import { readFiles } from '../../remote-files.ts';

const set = kubeadmCertificateSet;

export interface HostPkiInput {
  role: HostRole;
  cluster: ClusterFacts;
  member: Member;
  authorities: ReadonlyMap<string, Authority>;
  serviceAccount: ServiceAccountKey;
  options: GenerationOptions;
}

export interface HostPkiResult {
  written: string[];
  conflicts: CertificateDifference[];
  /** Certificates in effect on the host after this run. */
  expiry: ExpiryItem[];
}

/** The node's own identities (kubelet and kube-proxy) come with the node, not with the control plane. */
const NODE_SPECS = new Set(['kubelet', 'kubelet-server', 'kube-proxy']);

/** A control-plane member's files under /etc/kubernetes: certificates and keys in pki/, and its kubeconfigs. */
export function pkiSlots(): HostFileSlot[] {
  return hostFileLayout(set, 'control-plane').filter((slot) => !NODE_SPECS.has(slot.spec));
}

/**
 * A node's files: its kubelet and kube-proxy identities and, on a worker, the cluster CA (a
 * control-plane member has that from the control plane's own files).
 */
export function nodePkiSlots(role: HostRole): HostFileSlot[] {
  return hostFileLayout(set, role).filter((slot) => NODE_SPECS.has(slot.spec) || (role === 'worker' && slot.spec === 'ca' && slot.part === 'certificate'));
}

function contentOf(slot: HostFileSlot, input: HostPkiInput, issued: ReadonlyMap<string, IssuedCertificate>): string {
  const authority = input.authorities.get(slot.spec);
  if (authority) return slot.part === 'key' ? authority.keyPem : authority.certPem;
  const certificate = issued.get(slot.spec);
  if (certificate && slot.part === 'kubeconfig') {
    const spec = set.certificates.find((c) => c.name === slot.spec)!;
    return kubeconfigFor(certificate, input.authorities.get(spec.ca)!, { cluster: input.cluster, host: input.member.pki });
  }
  if (certificate) return slot.part === 'key' ? certificate.keyPem : certificate.certPem;
  return slot.part === 'key' ? input.serviceAccount.keyPem : input.serviceAccount.publicKeyPem;
}

function embeddedCertificate(slot: HostFileSlot, content: string | undefined): string | undefined {
  if (content === undefined || slot.part !== 'kubeconfig') return content;
  // An unreadable kubeconfig is already a conflict in the review; it just has no expiry to show.
  try {
    return readKubeconfig(content, slot.path).clientCertPem;
  } catch {
    return undefined;
  }
}

export async function convergeHostPki(session: HostSession, input: HostPkiInput, slots: readonly HostFileSlot[]): Promise<HostPkiResult> {
  const existing = await readFiles(session, slots.map((s) => s.path));
  const scope = { cluster: input.cluster, host: input.member.pki };
  const review = await reviewHostFiles({
    set,
    role: input.role,
    scope,
    authorities: input.authorities,
    serviceAccount: input.serviceAccount,
    existing,
    ...(input.options.keyAlgorithm ? { keyAlgorithm: input.options.keyAlgorithm } : {}),
  });
  const specsInSlots = new Set(slots.map((s) => s.spec));
  const toWrite = [...review.actions].filter(([name, action]) => specsInSlots.has(name) && (action === 'create' || action === 'renew')).map(([name]) => name);
  const issued = new Map<string, IssuedCertificate>();
  await Promise.all(
    toWrite.map(async (name) => {
      const spec = set.certificates.find((c) => c.name === name);
      if (!spec) return;
      issued.set(name, await issueCertificate(spec, scope, input.authorities.get(spec.ca)!, input.options));
    }),
  );
  const files: HostFile[] = slots.filter((s) => toWrite.includes(s.spec)).map((slot) => ({ ...slot, content: contentOf(slot, input, issued) }));
  const results = await writeFiles(session, files);
  const expiry: ExpiryItem[] = [];
  for (const slot of slots) {
    if ((slot.part !== 'certificate' && slot.part !== 'kubeconfig') || input.authorities.has(slot.spec)) continue;
    const pem = issued.get(slot.spec)?.certPem ?? embeddedCertificate(slot, existing.get(slot.path));
    if (!pem) continue;
    // An unreadable certificate is already a conflict in the review; it just has no expiry to show.
    try {
      expiry.push({ name: slot.spec, host: input.member.name, certificate: decodeCertificate(pem, slot.path) });
    } catch {
      continue;
    }
  }
  return {
    written: results.filter((r) => r.changed).map((r) => r.path),
    conflicts: review.differences.filter((d) => d.consequence === 'conflict' && specsInSlots.has(d.certificate)),
    expiry,
  };
}

// The files each host receives, derived from the certificate set and the host's role. The layout
// (paths, modes, what goes in each) needs no keys, so a controller can read and verify what a host
// has before anything is generated; rendering fills in the content.
import type { Authority } from './authority.ts';
import type { CertificateSet } from './certificate-set.ts';
import type { ClusterPki } from './cluster-pki.ts';
import { MissingMaterialError } from './errors.ts';
import type { IssuedCertificate, ServiceAccountKey } from './issue.ts';
import { kubeconfigFor } from './kubeconfig.ts';
import type { HostRole, HostScope } from './spec.ts';

export const KUBERNETES_DIR = '/etc/kubernetes';

/** Private keys and kubeconfigs (which embed one) are readable by root only. */
export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export type FilePart = 'certificate' | 'key' | 'public-key' | 'kubeconfig';

export interface HostFileSlot {
  path: string;
  mode: number;
  /** Name of the spec the file comes from. */
  spec: string;
  part: FilePart;
}

export interface HostFile extends HostFileSlot {
  content: string;
}

export function hostFileLayout(set: CertificateSet, role: HostRole, root = KUBERNETES_DIR): HostFileSlot[] {
  const pki = `${root}/pki`;
  const slots: HostFileSlot[] = [];
  for (const spec of set.specs) {
    if (spec.kind === 'authority') {
      if (spec.certificateOn.includes(role)) {
        slots.push({ path: `${pki}/${spec.file}.crt`, mode: PUBLIC_FILE_MODE, spec: spec.name, part: 'certificate' });
      }
      if (spec.keyOn.includes(role)) {
        slots.push({ path: `${pki}/${spec.file}.key`, mode: SECRET_FILE_MODE, spec: spec.name, part: 'key' });
      }
    } else if (spec.kind === 'key-pair') {
      if (!spec.on.includes(role)) continue;
      slots.push({ path: `${pki}/${spec.file}.key`, mode: SECRET_FILE_MODE, spec: spec.name, part: 'key' });
      slots.push({ path: `${pki}/${spec.file}.pub`, mode: PUBLIC_FILE_MODE, spec: spec.name, part: 'public-key' });
    } else if (spec.on.includes(role)) {
      if (spec.output.type === 'kubeconfig') {
        slots.push({ path: `${root}/${spec.output.file}`, mode: SECRET_FILE_MODE, spec: spec.name, part: 'kubeconfig' });
      } else {
        slots.push({ path: `${pki}/${spec.output.file}.crt`, mode: PUBLIC_FILE_MODE, spec: spec.name, part: 'certificate' });
        slots.push({ path: `${pki}/${spec.output.file}.key`, mode: SECRET_FILE_MODE, spec: spec.name, part: 'key' });
      }
    }
  }
  return slots;
}

export interface HostMaterial {
  authorities: ReadonlyMap<string, Authority>;
  serviceAccount?: ServiceAccountKey;
  /** This host's certificates and the cluster-wide ones it receives, by spec name. */
  certificates: ReadonlyMap<string, IssuedCertificate>;
}

function need<T>(value: T | undefined, what: string, host: string): T {
  if (value === undefined) throw new MissingMaterialError(`files of ${host} need ${what}, which was not given`);
  return value;
}

export function renderHostFiles(
  set: CertificateSet,
  role: HostRole,
  scope: HostScope,
  material: HostMaterial,
  root = KUBERNETES_DIR,
): HostFile[] {
  const host = scope.host.name;
  return hostFileLayout(set, role, root).map((slot) => {
    const spec = set.specs.find((s) => s.name === slot.spec)!;
    let content: string;
    if (spec.kind === 'authority') {
      const authority = need(material.authorities.get(spec.name), `CA ${spec.name}`, host);
      content = slot.part === 'key' ? authority.keyPem : authority.certPem;
    } else if (spec.kind === 'key-pair') {
      const key = need(material.serviceAccount, `the ${spec.name} key pair`, host);
      content = slot.part === 'key' ? key.keyPem : key.publicKeyPem;
    } else {
      const issued = need(material.certificates.get(spec.name), `certificate ${spec.name}`, host);
      if (slot.part === 'kubeconfig') {
        content = kubeconfigFor(issued, need(material.authorities.get(spec.ca), `CA ${spec.ca}`, host), scope);
      } else {
        content = slot.part === 'key' ? issued.keyPem : issued.certPem;
      }
    }
    return { ...slot, content };
  });
}

/** The material of one host out of a whole cluster's PKI. */
export function hostMaterial(pki: ClusterPki, hostName: string): HostMaterial {
  const own = pki.hosts.get(hostName) ?? new Map<string, IssuedCertificate>();
  return { authorities: pki.authorities, serviceAccount: pki.serviceAccount, certificates: new Map([...pki.cluster, ...own]) };
}

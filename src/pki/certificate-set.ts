// A certificate set checked once, when it is defined: every certificate names a CA of the same set,
// names and files are unique. The CA tree is derived from the list rather than written twice.
import { CertificateSetError } from './errors.ts';
import type { AuthoritySpec, CertificateSpec, KeyPairSpec, PkiSpec } from './spec.ts';

export interface CertificateSet {
  readonly specs: readonly PkiSpec[];
  readonly authorities: readonly AuthoritySpec[];
  readonly keyPairs: readonly KeyPairSpec[];
  readonly certificates: readonly CertificateSpec[];
  /** Certificates signed by each CA, in list order: the CA tree. */
  readonly tree: ReadonlyMap<string, readonly CertificateSpec[]>;
  authority(name: string): AuthoritySpec;
  certificate(name: string): CertificateSpec;
}

function outputPath(spec: PkiSpec): string {
  if (spec.kind !== 'certificate') return `pki/${spec.file}`;
  return spec.output.type === 'pki' ? `pki/${spec.output.file}` : spec.output.file;
}

function problemsOf(specs: readonly PkiSpec[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, PkiSpec>();
  const byPath = new Map<string, PkiSpec>();
  for (const spec of specs) {
    const sameName = byName.get(spec.name);
    if (sameName) problems.push(`"${spec.name}" is defined twice`);
    byName.set(spec.name, spec);
    const path = outputPath(spec);
    const samePath = byPath.get(path);
    if (samePath && samePath.name !== spec.name) problems.push(`"${spec.name}" and "${samePath.name}" both write ${path}`);
    byPath.set(path, spec);
  }
  const authorities = specs.filter((s): s is AuthoritySpec => s.kind === 'authority').map((s) => s.name);
  for (const spec of specs) {
    if (spec.kind !== 'certificate') continue;
    const ca = byName.get(spec.ca);
    if (ca === undefined) {
      problems.push(`"${spec.name}" names unknown CA "${spec.ca}"; the CAs are ${authorities.map((a) => `"${a}"`).join(', ')}`);
    } else if (ca.kind !== 'authority') {
      problems.push(`"${spec.name}" names "${spec.ca}" as its CA, but "${spec.ca}" is a ${ca.kind}, not a CA`);
    } else {
      const missing = spec.on.filter((role) => !ca.certificateOn.includes(role));
      // A host holding a certificate also needs the CA certificate to verify its peers with.
      if (missing.length > 0) {
        problems.push(`"${spec.name}" goes to ${missing.join(', ')} hosts but its CA "${ca.name}" does not`);
      }
    }
    if (spec.extKeyUsages.length === 0) problems.push(`"${spec.name}" has no extended key usage`);
  }
  return problems;
}

/** Checks the list and indexes it; throws CertificateSetError naming every problem found. */
export function defineCertificateSet(specs: readonly PkiSpec[]): CertificateSet {
  const problems = problemsOf(specs);
  if (problems.length > 0) throw new CertificateSetError(problems);
  const authorities = specs.filter((s): s is AuthoritySpec => s.kind === 'authority');
  const certificates = specs.filter((s): s is CertificateSpec => s.kind === 'certificate');
  const tree = new Map(authorities.map((a) => [a.name, certificates.filter((c) => c.ca === a.name)]));
  return {
    specs,
    authorities,
    keyPairs: specs.filter((s): s is KeyPairSpec => s.kind === 'key-pair'),
    certificates,
    tree,
    authority(name) {
      const found = authorities.find((a) => a.name === name);
      if (!found) throw new CertificateSetError([`no CA named "${name}"`]);
      return found;
    },
    certificate(name) {
      const found = certificates.find((c) => c.name === name);
      if (!found) throw new CertificateSetError([`no certificate named "${name}"`]);
      return found;
    },
  };
}

// What to do with each certificate, key and kubeconfig of one host, given the files it already has:
// create what is absent, keep what matches, renew what is ours but expiring, and report the rest as
// a conflict to be resolved by a person. This is the dry run of the PKI phase; the controller only
// reads the files over SSH beforehand and writes the ones to create or renew afterwards.
import type { Authority } from './authority.ts';
import type { CertificateSet } from './certificate-set.ts';
import { InvalidKubeconfigError, MissingMaterialError, PemError } from './errors.ts';
import { hostFileLayout, KUBERNETES_DIR, type HostFileSlot } from './host-files.ts';
import type { ServiceAccountKey } from './issue.ts';
import type { KeyAlgorithm } from './key-algorithm.ts';
import { kubeconfigServer, readKubeconfig } from './kubeconfig.ts';
import { decodeCertificate } from './pem.ts';
import type { CertificateSpec, HostRole, HostScope, PkiSpec } from './spec.ts';
import {
  authorityFinding,
  difference,
  verdict,
  verifyAuthorityFiles,
  verifyCertificate,
  verifyServiceAccountFiles,
  type CertificateDifference,
} from './verify.ts';

export type FileAction = 'create' | 'keep' | 'renew' | 'conflict';

export interface HostReview {
  /** Spec name to what should happen to its files, in the order of the set. */
  actions: Map<string, FileAction>;
  differences: CertificateDifference[];
}

export interface HostReviewInput {
  set: CertificateSet;
  role: HostRole;
  scope: HostScope;
  authorities: ReadonlyMap<string, Authority>;
  serviceAccount?: ServiceAccountKey;
  /** Contents of the files found on the host, by absolute path; absent paths are missing files. */
  existing: ReadonlyMap<string, string>;
  root?: string;
  now?: Date;
  renewWithinDays?: number;
  keyAlgorithm?: KeyAlgorithm;
}

/** The verification settings of the review, without the fields verifyCertificate does not take. */
function checks(input: HostReviewInput) {
  return {
    scope: input.scope,
    ...(input.now === undefined ? {} : { now: input.now }),
    ...(input.renewWithinDays === undefined ? {} : { renewWithinDays: input.renewWithinDays }),
    ...(input.keyAlgorithm === undefined ? {} : { keyAlgorithm: input.keyAlgorithm }),
  };
}

function authorityOf(input: HostReviewInput, name: string): Authority {
  const authority = input.authorities.get(name);
  if (!authority) throw new MissingMaterialError(`reviewing ${input.scope.host.name} needs CA ${name}, which was not given`);
  return authority;
}

async function reviewKubeconfig(input: HostReviewInput, spec: CertificateSpec, text: string): Promise<CertificateDifference[]> {
  const host = input.scope.host.name;
  const where = { certificate: spec.name, host };
  let content;
  try {
    content = readKubeconfig(text, spec.output.file);
  } catch (error) {
    if (!(error instanceof InvalidKubeconfigError)) throw error;
    return [difference(where, { kind: 'Unreadable', consequence: 'conflict', detail: error.message })];
  }
  const authority = authorityOf(input, spec.ca);
  const differences: CertificateDifference[] = [];
  try {
    const embedded = decodeCertificate(content.caCertPem, `${spec.output.file} certificate-authority-data`);
    const mismatch = authorityFinding(embedded, authority.certificate, `${spec.output.file} embeds`);
    if (mismatch) differences.push(difference(where, mismatch));
  } catch (error) {
    if (!(error instanceof PemError)) throw error;
    differences.push(difference(where, { kind: 'Unreadable', consequence: 'conflict', detail: error.message }));
  }
  differences.push(
    ...(await verifyCertificate({
      ...checks(input),
      spec,
      authority,
      certPem: content.clientCertPem,
      keyPem: content.clientKeyPem,
    })),
  );
  const server = kubeconfigServer(spec, input.scope);
  if (content.server !== server) {
    differences.push(
      difference(where, {
        kind: 'ServerMismatch',
        consequence: 'renew',
        expected: server,
        found: content.server,
        detail: `points at ${content.server}, expected ${server}`,
      }),
    );
  }
  return differences;
}

async function reviewSpec(input: HostReviewInput, spec: PkiSpec, files: Map<HostFileSlot['part'], string>) {
  const host = input.scope.host.name;
  if (spec.kind === 'authority') {
    return verifyAuthorityFiles({
      authority: authorityOf(input, spec.name),
      host,
      certPem: files.get('certificate')!,
      ...(files.has('key') ? { keyPem: files.get('key')! } : {}),
    });
  }
  if (spec.kind === 'key-pair') {
    if (!input.serviceAccount) throw new MissingMaterialError(`reviewing ${host} needs the ${spec.name} key pair, which was not given`);
    return verifyServiceAccountFiles({
      name: spec.name,
      expected: input.serviceAccount,
      host,
      keyPem: files.get('key')!,
      publicKeyPem: files.get('public-key')!,
    });
  }
  if (files.has('kubeconfig')) return reviewKubeconfig(input, spec, files.get('kubeconfig')!);
  return verifyCertificate({
    ...checks(input),
    spec,
    authority: authorityOf(input, spec.ca),
    certPem: files.get('certificate')!,
    keyPem: files.get('key')!,
  });
}

export async function reviewHostFiles(input: HostReviewInput): Promise<HostReview> {
  const slots = hostFileLayout(input.set, input.role, input.root ?? KUBERNETES_DIR);
  const bySpec = Map.groupBy(slots, (slot) => slot.spec);
  const actions = new Map<string, FileAction>();
  const differences: CertificateDifference[] = [];
  for (const [name, group] of bySpec) {
    const spec = input.set.specs.find((s) => s.name === name)!;
    const present = group.filter((slot) => input.existing.has(slot.path));
    if (present.length === 0) {
      actions.set(name, 'create');
      continue;
    }
    // Half a pair (a certificate without its key) is not something to complete by guessing.
    const absent = group.filter((slot) => !input.existing.has(slot.path));
    if (absent.length > 0) {
      const where = { certificate: name, host: input.scope.host.name };
      for (const slot of absent) {
        const others = present.map((p) => p.path).join(', ');
        const detail = `${slot.path} is missing while ${others} exists`;
        differences.push(difference(where, { kind: 'FileMissing', consequence: 'conflict', path: slot.path, detail }));
      }
      actions.set(name, 'conflict');
      continue;
    }
    const files = new Map(group.map((slot) => [slot.part, input.existing.get(slot.path)!]));
    const found = await reviewSpec(input, spec, files);
    differences.push(...found);
    actions.set(name, verdict(found));
  }
  return { actions, differences };
}

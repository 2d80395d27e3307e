// Typed errors of the PKI library. Each one names the object it is about, what was expected and
// what was found, so a condition message built from it tells a person what to change.

import { KubesmithError } from '../errors.ts';

/** Base class, so callers can tell PKI failures from everything else with one instanceof. */
export abstract class PkiError extends KubesmithError {}

/**
 * The certificate set itself is wrong (unknown CA, duplicate name or file). Raised when the set is
 * defined, that is when its module loads, so a typo never reaches a cluster. Every problem found is
 * listed, not only the first.
 */
export class CertificateSetError extends PkiError {
  readonly reason = 'CertificateSetInvalid';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`certificate set is invalid:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

/** PEM text that is not what it should be: empty, another block type, or undecodable. */
export class PemError extends PkiError {
  readonly reason = 'PemInvalid';
  override readonly needsPerson = true;
  /** What was being read, for example `tls.crt of Secret demo-ca`. */
  readonly subject: string;

  constructor(subject: string, problem: string, options?: ErrorOptions) {
    super(`${subject}: ${problem}`, options);
    this.subject = subject;
  }
}

/** A key kubesmith cannot sign with or check: Ed25519, RSA-PSS, an unusual curve, a short RSA key. */
export class UnsupportedKeyError extends PkiError {
  readonly reason = 'KeyUnsupported';
  override readonly needsPerson = true;
  readonly subject: string;
  readonly found: string;

  constructor(subject: string, found: string) {
    super(`${subject}: ${found} keys are not supported; use RSA (2048 bits or more) or ECDSA P-256/P-384`);
    this.subject = subject;
    this.found = found;
  }
}

export type AuthorityProblemReason =
  | 'CertificateUnreadable'
  | 'KeyUnreadable'
  | 'NotACertificateAuthority'
  | 'KeyMismatch'
  | 'Expired'
  | 'NotYetValid';

export interface AuthorityProblem {
  reason: AuthorityProblemReason;
  message: string;
}

/** A CA supplied by the user (or read back from a Secret) that cannot be used to sign. */
export class AuthorityLoadError extends PkiError {
  readonly reason = 'CAUnusable';
  override readonly needsPerson = true;
  /** Name of the CA in the certificate set, for example `ca` or `etcd/ca`. */
  readonly authority: string;
  readonly problems: readonly AuthorityProblem[];

  constructor(authority: string, problems: readonly AuthorityProblem[], options?: ErrorOptions) {
    super(`CA ${authority} cannot be used: ${problems.map((p) => p.message).join('; ')}`, options);
    this.authority = authority;
    this.problems = problems;
  }

  get reasons(): AuthorityProblemReason[] {
    return this.problems.map((p) => p.reason);
  }
}

/** A Secret that lacks the keys the Cluster API conventions require. */
export class SecretDataError extends PkiError {
  readonly reason = 'SecretIncomplete';
  override readonly needsPerson = true;
  readonly secretName: string;
  readonly missingKeys: readonly string[];

  constructor(secretName: string, missingKeys: readonly string[], expectedKeys: readonly string[]) {
    const list = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(' and ');
    super(
      `Secret ${secretName} lacks ${list(missingKeys)}; following Cluster API's conventions it must hold ${list(expectedKeys)}`,
    );
    this.secretName = secretName;
    this.missingKeys = missingKeys;
  }
}

/** Cluster or host facts that a certificate cannot be built from, such as a malformed service CIDR. */
export class InvalidFactsError extends PkiError {
  readonly reason = 'InvalidFacts';
  override readonly needsPerson = true;
}

/** A certificate asked to be issued by a CA other than the one its spec names. */
export class WrongAuthorityError extends PkiError {
  readonly reason = 'WrongAuthority';
}

/** A stored key pair whose public half does not belong to its private half. */
export class KeyPairMismatchError extends PkiError {
  readonly reason = 'KeyMaterialInvalid';
  override readonly needsPerson = true;
}

/** Rendering a host's files without some certificate or key they need: a bug in the caller. */
export class MissingMaterialError extends PkiError {
  readonly reason = 'MissingMaterial';
}

/** A kubeconfig that cannot be read, or lacks the embedded certificates kubesmith writes. */
export class InvalidKubeconfigError extends PkiError {
  readonly reason = 'KubeconfigInvalid';
  override readonly needsPerson = true;
}

// Typed errors of the artifact source. Each has a CamelCase `reason` a controller puts on a
// condition as it is, and a message naming the artifact, what was expected and what to do.

import { KubesmithError } from '../errors.ts';

export abstract class ArtifactError extends KubesmithError {
  /** URL of the artifact the error is about. */
  readonly url: string;

  constructor(url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.url = url;
  }
}

/** The mirror did not answer, or answered with something other than the file. */
export class DownloadFailedError extends ArtifactError {
  readonly reason = 'ArtifactDownloadFailed';
}

/** checksumPolicy Required, and the mirror publishes no SHA-256 for the artifact. */
export class ChecksumMissingError extends ArtifactError {
  readonly reason = 'ArtifactChecksumMissing';
  override readonly needsPerson = true;
}

/** The artifact's SHA-256 is not the published one: corrupted, truncated or tampered with. */
export class ChecksumMismatchError extends ArtifactError {
  readonly reason = 'ArtifactChecksumMismatch';
  override readonly needsPerson = true;
  readonly expected: string;
  readonly found: string;

  constructor(url: string, expected: string, found: string, sumsUrl: string) {
    super(
      url,
      `${url} has SHA-256 ${found} but ${sumsUrl} publishes ${expected}, so nothing from it was installed; ` +
        'fix the file on the mirror (or the sum, if the file is the right one) and it is retried',
    );
    this.expected = expected;
    this.found = found;
  }
}

/** The archive is not a gzipped tar, or lacks a file the install needs. */
export class ArchiveContentError extends ArtifactError {
  readonly reason = 'ArtifactContentInvalid';
  override readonly needsPerson = true;
}

import { createHash } from 'node:crypto';
import { KubesmithError } from '../errors.ts';

/** A public host key as the server sent it: its type, the SSH wire-format blob, and derived forms. */
export interface HostKey {
  type: string;
  blob: Buffer;
  /** `type base64` as in known_hosts or /etc/ssh/ssh_host_*_key.pub, without a comment. */
  line: string;
  /** OpenSSH's `SHA256:` fingerprint (unpadded base64 of the blob's SHA-256), as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export class InvalidHostKeyError extends KubesmithError {
  readonly reason = 'HostKeyInvalid';
  override readonly needsPerson = true;
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The type named inside a wire-format key blob (a uint32 length and the type string come first). */
function blobType(blob: Buffer): string {
  if (blob.length < 4) throw new InvalidHostKeyError('host key blob is shorter than its length field');
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) {
    throw new InvalidHostKeyError('host key blob does not start with a key type');
  }
  return blob.subarray(4, 4 + length).toString('latin1');
}

export function hostKeyFromBlob(blob: Buffer): HostKey {
  const type = blobType(blob);
  return { type, blob, line: `${type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob) };
}

/** Parses a key line (`type base64 [comment]`) and checks that the type outside and inside agree. */
export function parseHostKeyLine(text: string): HostKey {
  const [type, data] = text.trim().split(/\s+/);
  if (!type || !data || !/^[A-Za-z0-9+/]+=*$/.test(data)) {
    throw new InvalidHostKeyError(`"${text.slice(0, 40)}..." is not a public key line such as "ssh-ed25519 AAAA..."`);
  }
  const key = hostKeyFromBlob(Buffer.from(data, 'base64'));
  if (key.type !== type) {
    throw new InvalidHostKeyError(`the key line says ${type} but its data holds a ${key.type} key`);
  }
  return key;
}

/**
 * Host key algorithms to offer so that the server presents a key of the pinned type; otherwise
 * a server holding several keys may answer with another one and look like a mismatch.
 */
export function hostKeyAlgorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

// How new keys and certificates are made; the ControlPlane's `spec.certificates` maps onto this.
import { DEFAULT_KEY_ALGORITHM, type KeyAlgorithm } from './key-algorithm.ts';

export interface GenerationOptions {
  /** Algorithm of new keys; RSA2048 when absent. */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity of leaf certificates in days; 365 when absent. */
  validityDays?: number;
  /** Validity of generated CAs in days; 3650 when absent. */
  caValidityDays?: number;
  /** The time certificates are made at; tests pass a fixed or past time. */
  now?: Date;
}

export type ResolvedOptions = Required<GenerationOptions>;

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Certificates start this much before they are made, so a host whose clock lags the management
 * cluster a little does not reject a certificate as not yet valid.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function resolveOptions(options: GenerationOptions = {}): ResolvedOptions {
  return {
    keyAlgorithm: options.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM,
    validityDays: options.validityDays ?? 365,
    caValidityDays: options.caValidityDays ?? 3650,
    now: options.now ?? new Date(),
  };
}

/** A random positive 128-bit serial number as hex, as RFC 5280 and the CA/B forum ask. */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // Clear the sign bit so the DER integer stays positive and 16 bytes long, and set the next one so
  // no leading zero byte gets stripped, which would shorten it.
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

import { describe, expect, it } from 'vitest';
import { controlPlaneSpec, type ControlPlaneSpec } from '../../../src/api/control-plane.ts';
import { resolveOptions, type KeyAlgorithm } from '../../../src/pki/index.ts';

type ApiCertificates = ControlPlaneSpec['certificates'];
// Fails to compile if the API and the PKI library ever disagree on the key algorithms.
const sameAlgorithms: [ApiCertificates['keyAlgorithm']] extends [KeyAlgorithm]
  ? [KeyAlgorithm] extends [ApiCertificates['keyAlgorithm']]
    ? true
    : false
  : false = true;

describe('generation options', () => {
  it('default to the ControlPlane API’s defaults: RSA-2048, leaves 1 year, CAs 10 years', () => {
    const api = controlPlaneSpec.parse({ version: 'v1.36.3', hostSelector: {} }).certificates;
    const resolved = resolveOptions();
    expect(sameAlgorithms).toBe(true);
    expect({ keyAlgorithm: resolved.keyAlgorithm, validityDays: resolved.validityDays, caValidityDays: resolved.caValidityDays }).toEqual({
      keyAlgorithm: api.keyAlgorithm,
      validityDays: api.validityDays,
      caValidityDays: api.caValidityDays,
    });
    expect(resolved.keyAlgorithm).toBe('RSA2048');
    expect([resolved.validityDays, resolved.caValidityDays]).toEqual([365, 3650]);
  });
});

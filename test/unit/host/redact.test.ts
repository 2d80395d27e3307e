import { describe, expect, it } from 'vitest';
import { redact, REDACTED, Redactor } from '../../../src/host/index.ts';

describe('redaction', () => {
  it('replaces every occurrence of each secret', () => {
    expect(redact('kubeadm join --token abcd.0123456789abcdef --token abcd.0123456789abcdef', ['abcd.0123456789abcdef'])).toBe(
      `kubeadm join --token ${REDACTED} --token ${REDACTED}`,
    );
  });

  it('hides a secret that contains another one whole', () => {
    expect(redact('pass=hunter2-extended', ['hunter2', 'hunter2-extended'])).toBe(`pass=${REDACTED}`);
  });

  it('treats secrets as text, not patterns', () => {
    expect(redact('a.b*c and axbbc', ['a.b*c'])).toBe(`${REDACTED} and axbbc`);
  });

  it('hides the lines of a multi-line secret one by one too', () => {
    const key = '-----BEGIN KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w\n-----END KEY-----\n';
    const r = new Redactor().add(key);
    expect(r.redact('got MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8w in the log')).toBe(`got ${REDACTED} in the log`);
    expect(r.redact(`dump: ${key}`)).toBe(`dump: ${REDACTED}`);
  });

  it('ignores values too short to hide without garbling the text', () => {
    expect(redact('exit 1 after 1 try', ['1', ''])).toBe('exit 1 after 1 try');
  });

  it('accepts Buffers and leaves text without secrets alone', () => {
    const r = new Redactor().add(Buffer.from('s3cr3t-value')).add(undefined);
    expect(r.redact('nothing here')).toBe('nothing here');
    expect(r.redact('x s3cr3t-value y')).toBe(`x ${REDACTED} y`);
  });
});

import { describe, expect, it } from 'vitest';
import { parseSha256File, parseSha256Sums } from '../../../src/artifacts/index.ts';

const a = 'a'.repeat(64);
const b = 'B'.repeat(64);

describe('parseSha256Sums', () => {
  it('reads text and binary mode lines as sha256sum writes them', () => {
    const sums = parseSha256Sums(`${a}  etcd-v3.6.16-linux-amd64.tar.gz\n${b} *./etcd-v3.6.16-linux-arm64.tar.gz\n`);
    expect(sums.get('etcd-v3.6.16-linux-amd64.tar.gz')).toBe(a);
    expect(sums.get('etcd-v3.6.16-linux-arm64.tar.gz')).toBe('b'.repeat(64));
  });

  it('skips lines that are not sums', () => {
    expect(parseSha256Sums('# comment\n\nabc  short.tar.gz\n').size).toBe(0);
  });
});

describe('parseSha256File', () => {
  it('reads the digest alone, as dl.k8s.io publishes it, or followed by a file name', () => {
    expect(parseSha256File(a)).toBe(a);
    expect(parseSha256File(`${b}\n`)).toBe('b'.repeat(64));
    expect(parseSha256File(`${a}  kube-apiserver\n`)).toBe(a);
    expect(parseSha256File(`${a} *kube-apiserver`)).toBe(a);
  });

  it('finds nothing in a file that holds no digest', () => {
    expect(parseSha256File('')).toBeUndefined();
    expect(parseSha256File('<html>Not Found</html>')).toBeUndefined();
    expect(parseSha256File(`${a}0`)).toBeUndefined();
  });
});

// readTar against archives made by the system's GNU tar in each format it writes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTar } from '../../../src/artifacts/index.ts';

// Two components, so ustar can split the path into its prefix and name fields.
const longDir = `etcd-v3.6.16-linux-amd64-${'x'.repeat(40)}/${'y'.repeat(70)}`;

const scratch = mkdtempSync(join(tmpdir(), 'tar-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function archive(format: string): Buffer {
  const dir = mkdtempSync(join(scratch, 'archive-'));
  mkdirSync(join(dir, longDir), { recursive: true });
  writeFileSync(join(dir, longDir, 'etcd'), 'server binary', { mode: 0o755 });
  writeFileSync(join(dir, longDir, 'README.md'), 'readme');
  return execFileSync('tar', [`--format=${format}`, '-C', dir, '-cf', '-', longDir.split('/')[0]!]);
}

describe('readTar', () => {
  for (const format of ['gnu', 'pax', 'ustar']) {
    it(`reads a chosen file with a long path from a ${format} archive`, () => {
      const entries = readTar(archive(format), (p) => p.endsWith('/etcd'));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ path: `${longDir}/etcd`, mode: 0o755 });
      expect(entries[0]!.content.toString()).toBe('server binary');
    });
  }

  it('refuses a truncated archive instead of reading it as a shorter one', () => {
    const whole = archive('gnu');
    expect(() => readTar(whole.subarray(0, 1024), () => true)).toThrow(/truncated/);
  });

  it('refuses a header whose checksum is wrong', () => {
    const broken = Buffer.from(archive('gnu'));
    broken[0] = broken[0]! ^ 0xff;
    expect(() => readTar(broken, () => true)).toThrow(/checksum/);
  });
});

// readTar against archives made by the system's GNU tar in each format it writes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTar, type TarMember } from '../../../src/artifacts/index.ts';

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

/** `data` as a stream of `size`-byte chunks, so headers and contents straddle chunk boundaries. */
async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** The chosen members and their whole contents, as readTar streamed them. */
async function read(data: Buffer, chunkSize: number, wanted: (path: string) => boolean) {
  const entries: (TarMember & { content: string; ended: boolean })[] = [];
  await readTar(chunked(data, chunkSize), (member) => {
    if (!wanted(member.path)) return undefined;
    const entry = { ...member, content: '', ended: false };
    entries.push(entry);
    return {
      write: async (chunk) => void (entry.content += chunk.toString()),
      end: async () => void (entry.ended = true),
    };
  });
  return entries;
}

describe('readTar', () => {
  for (const format of ['gnu', 'pax', 'ustar']) {
    for (const chunkSize of [7, 64 * 1024]) {
      it(`streams a chosen file with a long path from a ${format} archive read in ${chunkSize}-byte chunks`, async () => {
        const entries = await read(archive(format), chunkSize, (p) => p.endsWith('/etcd'));
        expect(entries).toEqual([{ path: `${longDir}/etcd`, mode: 0o755, size: 13, content: 'server binary', ended: true }]);
      });
    }
  }

  it('refuses a truncated archive instead of reading it as a shorter one', async () => {
    const whole = archive('gnu');
    // Cut inside the last member's content, and then after it, before the end-of-archive blocks.
    const lastContent = Math.max(whole.indexOf('server binary'), whole.indexOf('readme'));
    await expect(read(whole.subarray(0, lastContent + 3), 512, () => true)).rejects.toThrow(/entry at byte \d+ is truncated/);
    await expect(read(whole.subarray(0, lastContent + 512), 512, () => true)).rejects.toThrow(/without its end-of-archive blocks/);
  });

  it('refuses a header whose checksum is wrong', async () => {
    const broken = Buffer.from(archive('gnu'));
    broken[0] = broken[0]! ^ 0xff;
    await expect(read(broken, 512, () => true)).rejects.toThrow(/checksum/);
  });
});

// Reads chosen regular files out of a tar archive (POSIX ustar, with the GNU long-name and pax path
// extensions Go's archive/tar and GNU tar write). The archive is already in memory and verified, so
// this only walks headers; nothing is written to disk here.

const BLOCK = 512;

export interface TarEntry {
  path: string;
  mode: number;
  content: Buffer;
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number): number {
  // Sizes over 8 GiB use base-256 (first byte 0x80); no release archive needs that.
  if ((header[offset]! & 0x80) !== 0) throw new Error('tar entry larger than 8 GiB');
  const text = field(header, offset, length).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function checksumValid(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === octal(header, 148, 8);
}

/** pax extended header records: `<length> <key>=<value>\n`. */
function paxPath(data: Buffer): string | undefined {
  let rest = data.toString('utf8');
  while (rest.length > 0) {
    const space = rest.indexOf(' ');
    const length = Number.parseInt(rest.slice(0, space), 10);
    if (!(length > 0)) break;
    const record = rest.slice(space + 1, length - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1);
    rest = rest.slice(length);
  }
  return undefined;
}

/**
 * The regular files of `archive` whose path `wanted` accepts. Throws on a malformed header, so a
 * truncated archive is never read as a shorter valid one.
 */
export function readTar(archive: Buffer, wanted: (path: string) => boolean): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    if (!checksumValid(header)) throw new Error(`tar header at byte ${offset} has a wrong checksum`);
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]! || 0x30);
    const dataStart = offset + BLOCK;
    const data = archive.subarray(dataStart, dataStart + size);
    if (data.length < size) throw new Error(`tar entry at byte ${offset} is truncated`);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if ((type === '0' || type === '7') && wanted(name)) {
      entries.push({ path: name.replace(/^\.\//, ''), mode: octal(header, 100, 8), content: Buffer.from(data) });
    }
  }
  throw new Error('tar archive ends without its end-of-archive blocks; it is truncated');
}

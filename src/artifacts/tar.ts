// Reads chosen regular files out of a tar stream (POSIX ustar, with the GNU long-name and pax path
// extensions Go's archive/tar and GNU tar write). Each chosen file's content is handed on as it
// arrives, so a release tarball is never held whole in memory: holding one (and its gunzipped copy)
// cost the operator hundreds of MiB at its peak, and malloc kept most of it afterwards.

const BLOCK = 512;
/** Long-name and pax records hold a path; anything bigger is not an archive kubesmith reads. */
const MAX_RECORD = 1024 * 1024;

export interface TarMember {
  /** The member's path, without a leading `./`. */
  path: string;
  mode: number;
  size: number;
}

/** Takes one member's content in order; `end` follows its last byte. */
export interface TarSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

/** Reads exact byte counts from a stream of chunks of any size. */
class ByteReader {
  readonly #chunks: AsyncIterator<Buffer>;
  #pending: Buffer = Buffer.alloc(0);
  /** Bytes taken so far, to say where in the archive a fault is. */
  offset = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#chunks = source[Symbol.asyncIterator]();
  }

  async #more(): Promise<boolean> {
    const next = await this.#chunks.next();
    if (next.done) return false;
    this.#pending = this.#pending.length > 0 ? Buffer.concat([this.#pending, next.value]) : next.value;
    return true;
  }

  /** The next `n` bytes in one buffer (fewer only at the end of the stream). */
  async take(n: number): Promise<Buffer> {
    while (this.#pending.length < n && (await this.#more()));
    const taken = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(taken.length);
    this.offset += taken.length;
    return taken;
  }

  /** Passes the next `n` bytes to `sink` chunk by chunk (or drops them); the count passed, short only at the end. */
  async forward(n: number, sink?: (chunk: Buffer) => Promise<void>): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#more())) break;
      const piece = this.#pending.subarray(0, left);
      this.#pending = this.#pending.subarray(piece.length);
      this.offset += piece.length;
      left -= piece.length;
      await sink?.(piece);
    }
    return n - left;
  }

  /** Reads the stream to its end, so whatever produces it finishes cleanly. */
  async drain(): Promise<void> {
    this.#pending = Buffer.alloc(0);
    while (await this.#more()) this.#pending = Buffer.alloc(0);
  }
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
 * Reads the tar archive `source` streams, and for each regular file asks `choose` for a sink to
 * stream its content into (undefined skips it). Throws on a malformed header or an archive that
 * ends early, so a truncated archive is never read as a shorter valid one.
 */
export async function readTar(source: AsyncIterable<Buffer>, choose: (member: TarMember) => TarSink | undefined): Promise<void> {
  const reader = new ByteReader(source);
  let longName: string | undefined;
  for (;;) {
    const at = reader.offset;
    const header = await reader.take(BLOCK);
    if (header.length < BLOCK) throw new Error('tar archive ends without its end-of-archive blocks; it is truncated');
    if (header.every((b) => b === 0)) return reader.drain();
    if (!checksumValid(header)) throw new Error(`tar header at byte ${at} has a wrong checksum`);
    const size = octal(header, 124, 12);
    const padding = Math.ceil(size / BLOCK) * BLOCK - size;
    const type = String.fromCharCode(header[156]! || 0x30);
    if (type === 'L' || type === 'x') {
      if (size > MAX_RECORD) throw new Error(`tar entry at byte ${at} has a ${size}-byte ${type} record; paths are never that long`);
      const data = await reader.take(size + padding);
      if (data.length < size + padding) throw new Error(`tar entry at byte ${at} is truncated`);
      longName = type === 'L' ? field(data, 0, size) : (paxPath(data.subarray(0, size)) ?? longName);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    const member = { path: name.replace(/^\.\//, ''), mode: octal(header, 100, 8), size };
    const sink = type === '0' || type === '7' ? choose(member) : undefined;
    const passed = await reader.forward(size, sink && ((chunk) => sink.write(chunk)));
    if (passed < size || (await reader.forward(padding)) < padding) throw new Error(`tar entry at byte ${at} is truncated`);
    await sink?.end();
  }
}

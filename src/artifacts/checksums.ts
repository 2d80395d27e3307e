// The two ways releases publish SHA-256 sums.

/**
 * The SHA256SUMS format etcd (and sha256sum itself) publishes: one `<64 hex>  <file name>` per line,
 * with `*` before the name for files summed in binary mode. File name to lowercase hex SHA-256;
 * lines that are not sums (comments, blanks) are skipped.
 */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-fA-F]{64}) [ *]?(.+?)\s*$/.exec(line.trim());
    if (!match) continue;
    const name = match[2]!.replace(/^\.\//, '');
    sums.set(name, match[1]!.toLowerCase());
  }
  return sums;
}

/**
 * The `.sha256` file Kubernetes publishes beside each binary: the digest alone, though a mirror
 * made with sha256sum has the file name after it. Lowercase hex, or undefined when it holds none.
 */
export function parseSha256File(text: string): string | undefined {
  const match = /^([0-9a-fA-F]{64})(\s|$)/.exec(text.trimStart());
  return match?.[1]!.toLowerCase();
}

// IP address handling for SANs. Certificates store addresses as bytes, while people and Kubernetes
// objects write them in several textual forms (`::1`, `0:0:0:0:0:0:0:1`); comparing canonical forms
// keeps a verification from reporting a SAN as missing when it is only spelled differently.
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidFactsError } from './errors.ts';

export function isIpAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

function v4Bytes(text: string): number[] {
  return text.split('.').map((part) => Number.parseInt(part, 10));
}

function v6Bytes(text: string): number[] {
  let head = text;
  let tail: number[] = [];
  // An IPv4-mapped tail such as ::ffff:10.0.0.1 carries its last 32 bits in dotted form; parse it
  // as two zero groups and put the four bytes in afterwards.
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    tail = v4Bytes(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const zeros = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  const all = [...leftGroups, ...Array<string>(zeros).fill('0'), ...rightGroups];
  const bytes = all.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  if (tail.length > 0) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The address as 4 or 16 bytes; throws for text that is not an IP address. */
export function ipBytes(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(v4Bytes(text));
  if (isIPv6(text)) return Uint8Array.from(v6Bytes(text));
  throw new InvalidFactsError(`"${text}" is not an IP address`);
}

/** Formats bytes as dotted quad or as RFC 5952 text (lower case, longest zero run compressed). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new InvalidFactsError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  // RFC 5952 compresses only runs of two or more zero groups.
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function canonicalIp(text: string): string {
  return formatIp(ipBytes(text));
}

/**
 * The first usable address of a CIDR, which Kubernetes gives to the `kubernetes` Service. A
 * dual-stack list (`10.96.0.0/12,fd00::/108`) uses its first range, as kube-apiserver does.
 */
export function firstAddress(cidrList: string): string {
  return nthAddress(cidrList, 1);
}

/** The n-th address of a CIDR's first range: 10 is the cluster DNS Service's, as kubeadm picks. */
export function nthAddress(cidrList: string, n: number): string {
  const cidr = cidrList.split(',')[0]!.trim();
  const [address = '', prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (!isIpAddress(address) || prefixText === undefined || !Number.isInteger(prefix)) {
    throw new InvalidFactsError(`service CIDR "${cidrList}" is not a CIDR such as 10.96.0.0/12`);
  }
  const bytes = ipBytes(address);
  const bits = bytes.length * 8;
  const hostBits = BigInt(bits - prefix);
  if (prefix < 0 || prefix >= bits || BigInt(n) >= 1n << hostBits) {
    throw new InvalidFactsError(`service CIDR "${cidrList}" has no address number ${n}`);
  }
  let value = bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  value = ((value >> hostBits) << hostBits) + BigInt(n);
  const out = new Uint8Array(bytes.length);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return formatIp(out);
}

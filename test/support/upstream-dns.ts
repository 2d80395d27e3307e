// The test hosts' upstream resolver (see hosts.ts: their resolv.conf names the network's gateway):
// a DNS server on the gateway, UDP port 53, that knows a few names outside the cluster and answers
// NXDOMAIN for the rest, and counts what it is asked. Enough for CoreDNS's `forward` to be shown
// to reach the upstream the kubelet's resolv.conf names, with no traffic leaving this machine.
import { createSocket } from 'node:dgram';

export interface UpstreamDns {
  /** Names asked for (lower case, without the final dot), in order. */
  queries(): string[];
  stop(): Promise<void>;
}

/** A name outside every cluster that the hosts' upstream resolver knows (TEST-NET-1: never reached). */
export const OUTSIDE_NAME = { name: 'outside.kubesmith.test', address: '192.0.2.53' };

const TYPE_A = 1;

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  while (message[at]! !== 0) {
    const length = message[at]!;
    labels.push(message.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 };
}

/** The answer to one query: the question echoed, an A record when the name is known, NXDOMAIN otherwise. */
export function dnsAnswer(query: Buffer, records: ReadonlyMap<string, string>): { name: string; reply: Buffer } {
  const { name, end } = readName(query, 12);
  const type = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const address = records.get(name);
  const known = address !== undefined;
  const answers = known && type === TYPE_A ? 1 : 0;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const recursionDesired = query[2]! & 0x01;
  header[2] = 0x80 | 0x04 | recursionDesired; // response, authoritative
  header[3] = 0x80 | (known ? 0 : 3); // recursion available; NOERROR or NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers, 6);
  const parts = [header, question];
  if (answers && address !== undefined) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the question's name
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(30, 6); // TTL
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
    parts.push(record);
  }
  return { name, reply: Buffer.concat(parts) };
}

/** Serves `records` (name to IPv4 address) on `address`:53 until stopped. */
export async function startUpstreamDns(address: string, records: Record<string, string>): Promise<UpstreamDns> {
  const known = new Map(Object.entries(records).map(([name, ip]) => [name.toLowerCase(), ip]));
  const asked: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    try {
      const { name, reply } = dnsAnswer(message, known);
      asked.push(name);
      socket.send(reply, peer.port, peer.address);
    } catch {
      // A malformed query gets no answer, as from any resolver.
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, address, () => resolve());
  });
  return {
    queries: () => [...asked],
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

// The dev environment's upstream resolver as a process of its own, so it keeps answering after
// `npm run dev` exits: test/support/upstream-dns.ts on the gateway of the hosts' network, UDP port
// 53, which the hosts' resolv.conf names (test/support/hosts.ts), so CoreDNS forwards to it.
//   node hack/dev-dns.ts ADDRESS READY_FILE [NAME=IPV4 ...]
// Answers the names given and NXDOMAIN for the rest; writes READY_FILE once it listens; stops on
// SIGTERM or SIGINT.
import { writeFileSync } from 'node:fs';
import { startUpstreamDns } from '../test/support/upstream-dns.ts';

const [address, readyFile, ...pairs] = process.argv.slice(2);
if (!address || !readyFile || pairs.some((p) => !/^[^=]+=\d+\.\d+\.\d+\.\d+$/.test(p))) {
  console.error('usage: node hack/dev-dns.ts ADDRESS READY_FILE [NAME=IPV4 ...]');
  process.exit(2);
}
const dns = await startUpstreamDns(address, Object.fromEntries(pairs.map((p) => p.split('=') as [string, string])));
writeFileSync(readyFile, `${address}:53\n`);
console.log(`answering on ${address}:53 for ${pairs.join(', ') || 'no names'}`);
const stop = () => void dns.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

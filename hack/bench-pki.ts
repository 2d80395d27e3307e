// Times PKI generation for a 3-host control plane (all CAs, the service-account key, every leaf of
// the three hosts and the kubeconfig certificates) with RSA-2048 and with ECDSA P-256, in the same
// run. Rounds alternate the order of the two algorithms so neither always runs on a warmer process.
//
//   node hack/bench-pki.ts [rounds]     (default 7 rounds, after one warm-up round each)
import { availableParallelism, cpus } from 'node:os';
import { clusterExpiryReport, generateClusterPki, type KeyAlgorithm, type PlannedHost } from '../src/pki/index.ts';

const rounds = Number(process.argv[2] ?? 7);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, not ${process.argv[2]}`);

const cluster = { name: 'bench', dnsDomain: 'cluster.local', serviceCIDR: '10.96.0.0/12', endpoint: { host: '10.0.0.100', port: 6443 } };
const hosts: PlannedHost[] = [1, 2, 3].map((i) => ({
  host: { name: `cp-${i}`, hostname: `cp-${i}`, ips: [`10.0.0.${10 + i}`] },
  role: 'control-plane',
}));
const algorithms: KeyAlgorithm[] = ['RSA2048', 'ECDSAP256'];

async function once(keyAlgorithm: KeyAlgorithm): Promise<{ ms: number; certificates: number }> {
  const start = performance.now();
  const pki = await generateClusterPki({ cluster, hosts, options: { keyAlgorithm } });
  const ms = performance.now() - start;
  return { ms, certificates: clusterExpiryReport(pki).length };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

for (const algorithm of algorithms) await once(algorithm);
const times = new Map<KeyAlgorithm, number[]>(algorithms.map((a) => [a, []]));
let certificates = 0;
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? algorithms : [...algorithms].reverse();
  for (const algorithm of order) {
    const result = await once(algorithm);
    times.get(algorithm)!.push(result.ms);
    certificates = result.certificates;
  }
}

console.log(
  `PKI for ${hosts.length} control-plane hosts: ${certificates} certificates + 1 service-account key per round; ` +
    `${rounds} rounds per algorithm after a warm-up`,
);
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ` +
    `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
);
const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;
console.log(`${'algorithm'.padEnd(10)} ${'median'.padStart(11)} ${'min'.padStart(11)} ${'max'.padStart(11)}`);
for (const [algorithm, values] of times) {
  console.log(`${algorithm.padEnd(10)} ${fmt(median(values))} ${fmt(Math.min(...values))} ${fmt(Math.max(...values))}`);
}
const ratio = median(times.get('RSA2048')!) / median(times.get('ECDSAP256')!);
console.log(`RSA2048 / ECDSAP256 (medians): ${ratio.toFixed(1)}x`);

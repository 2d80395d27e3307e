// The dev environment's artifact mirror as a process of its own, so it keeps serving after
// `npm run dev` exits: the upstream-shaped mirror the tests serve in-process
// (test/support/artifact-mirror.ts), on 127.0.0.1, where the operator downloads from.
//   node hack/dev-mirror.ts ROOT URL_FILE
// Serves ROOT and, once it listens, writes its base URL to URL_FILE; stops on SIGTERM or SIGINT.
import { renameSync, writeFileSync } from 'node:fs';
import { startArtifactMirror } from '../test/support/artifact-mirror.ts';

const [root, urlFile] = process.argv.slice(2);
if (!root || !urlFile) {
  console.error('usage: node hack/dev-mirror.ts ROOT URL_FILE');
  process.exit(2);
}
const mirror = await startArtifactMirror(root);
// Written whole, then renamed: whoever waits for the file never reads half of it.
writeFileSync(`${urlFile}.tmp`, `${mirror.baseURL}\n`);
renameSync(`${urlFile}.tmp`, urlFile);
console.log(`serving ${root} at ${mirror.baseURL}`);
const stop = () => void mirror.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

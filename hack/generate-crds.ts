// Writes crds/ from the zod schemas in src/api; a unit test fails when crds/ differs from this output.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kinds } from '../src/api/index.ts';
import { renderCrdFiles } from '../src/api/crd.ts';

const dir = join(import.meta.dirname, '..', 'crds');
mkdirSync(dir, { recursive: true });
const files = renderCrdFiles(kinds);
for (const stale of readdirSync(dir)) if (!files.has(stale)) rmSync(join(dir, stale));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
console.log(`wrote ${files.size} files to crds/`);

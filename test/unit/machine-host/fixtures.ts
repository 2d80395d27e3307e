import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What PROBE_SCRIPT printed on a test host container. */
export const containerProbe = readFileSync(join(import.meta.dirname, 'fixtures', 'probe-debian-container.txt'), 'utf8');

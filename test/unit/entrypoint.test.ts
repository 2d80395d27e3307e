// The operator runs with the same node flags however it is started: `npm start` and the image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('entry points', () => {
  it('give node the same flags in package.json start and the Dockerfile ENTRYPOINT', () => {
    const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
    const line = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '))!;
    const entrypoint = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
    expect(entrypoint).toEqual(start);
    expect(start).toContain('--max-semi-space-size=2');
  });
});

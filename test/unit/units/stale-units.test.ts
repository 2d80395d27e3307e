// The stale-unit check run by a real shell against real files, with systemctl and date stood in by
// scripts that print what systemd 252 prints, so the comparison itself is what is tested.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleUnitsIn, staleUnitsScript } from '../../../src/controllers/units/stale-units.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubesmith-stale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A systemctl that says every unit is active and started at `started` (with microseconds). */
function fakeSystemctl(started: string): string {
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  const path = join(bin, 'systemctl');
  writeFileSync(path, `#!/bin/sh\ncase "$*" in *is-active*) exit 0;; *) echo '${started}';; esac\n`);
  chmodSync(path, 0o755);
  return bin;
}

function run(files: string[], started: string): Set<string> {
  const bin = fakeSystemctl(started);
  const out = execFileSync('bash', ['-c', staleUnitsScript([{ unit: 'demo', files }])], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  return staleUnitsIn(out);
}

function fileAt(name: string, seconds: number): string {
  const path = join(dir, name);
  writeFileSync(path, name);
  utimesSync(path, seconds, seconds);
  return path;
}

describe('stale units', () => {
  const start = Date.parse('2026-12-01T21:19:11.500Z') / 1000;
  const started = 'Tue 2026-12-01 21:19:11.500000 UTC';

  it('marks a running unit whose file changed after its process started, even within the same second', () => {
    expect(run([fileAt('older', start - 60), fileAt('newer', start + 0.25)], started)).toEqual(new Set(['demo']));
  });

  it('leaves a unit alone whose files are all older than its process, even from the same second', () => {
    expect(run([fileAt('a', start - 60), fileAt('b', start - 0.25)], started)).toEqual(new Set());
  });

  it('never marks a unit whose start time cannot be read', () => {
    expect(run([fileAt('c', start + 60)], 'n/a')).toEqual(new Set());
  });
});

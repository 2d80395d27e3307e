// The README's main command: `npm run dev` brings up the local environment with three Ready hosts,
// and `npm run dev:down` leaves nothing behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/manifests.ts';
import { isRunning } from '../support/processes.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kubesmith-dev-'));
const env = { ...process.env, KUBESMITH_DEV_DIR: join(dir, 'state') };
const devEnv = (command: string) =>
  run(process.execPath, [join(repoRoot, 'hack', 'dev-env.ts'), command], { env, maxBuffer: 1 << 20, timeout: 280_000 });

afterAll(async () => {
  await devEnv('down').catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('the local dev environment', () => {
  it('comes up with three Ready MachineHosts, says where KUBECONFIG is, and goes down cleanly', async () => {
    const up = await devEnv('up');
    expect(up.stdout).toContain(`export KUBECONFIG=${join(dir, 'state', 'cluster', 'kubeconfig')}`);
    expect(up.stdout).toContain('npm run dev:down');
    expect(up.stdout.match(/^dev-\d\s+\S+\s+Debian GNU\/Linux 12 \(bookworm\)\s+True\s+Ready/gm)).toHaveLength(3);

    const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as {
      pids: { operator: number; cluster: number[] };
      containers: string[];
    };
    const pids = [state.pids.operator, ...state.pids.cluster];
    expect(pids.every(isRunning)).toBe(true);
    expect((await devEnv('up')).stdout).toContain('already running');

    await devEnv('down');
    expect(pids.some(isRunning)).toBe(false);
    const { stdout } = await run('docker', ['ps', '-aq', '--no-trunc']);
    for (const id of state.containers) expect(stdout).not.toContain(id);
  });
});

// One management API server per test run: started here and stopped at the end, or an existing
// cluster when KUBESMITH_TEST_KUBECONFIG names one. A dedicated variable rather than KUBECONFIG, so a
// developer's everyday context is never used by accident.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureBinaries, startManagementCluster } from './management-cluster.ts';
import { installCrds } from './manifests.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    binDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binDir = ensureBinaries();
  project.provide('binDir', binDir);
  const given = process.env.KUBESMITH_TEST_KUBECONFIG;
  if (given) {
    installCrds(binDir, given);
    project.provide('kubeconfig', given);
    return async () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-mgmt-'));
  const started = Date.now();
  const cluster = await startManagementCluster({ dir, binDir });
  console.log(`management API server ${cluster.server} ready in ${Date.now() - started} ms`);
  installCrds(binDir, cluster.kubeconfigPath);
  project.provide('kubeconfig', cluster.kubeconfigPath);
  return async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

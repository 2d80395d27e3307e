import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(import.meta.dirname, '..', '..');

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function readManifests(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** Server-side apply, so re-running is a no-op and another field manager's fields are kept. */
export async function apply(kc: KubeConfig, objects: KubernetesObject[], namespace?: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects) {
    const body = namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    await client.patch(body, undefined, undefined, 'kubesmith-test', true, PatchStrategy.ServerSideApply);
  }
}

/**
 * Applies crds/ with kubectl and waits until the API server serves them. Not through client-node:
 * its typed serializer drops `default`, `enum` and `x-kubernetes-validations` from CRD schemas.
 */
export function installCrds(binDir: string, kubeconfigPath: string): void {
  const kubectl = (...args: string[]) => {
    try {
      execFileSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
      throw new Error(`kubectl ${args.join(' ')} failed: ${stderr}`, { cause: error });
    }
  };
  const dir = join(repoRoot, 'crds');
  kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=kubesmith', '-k', dir);
  const names = readdirSync(dir)
    .filter((f) => f.startsWith('kubesmith.io_'))
    .flatMap((f) => readManifests(join(dir, f)))
    .map((crd) => `crd/${crd.metadata!.name}`);
  kubectl('wait', '--for=condition=Established', '--timeout=60s', ...names);
}

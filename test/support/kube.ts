import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { loadKubeConfig } from './manifests.ts';

export function testKubeConfig(): KubeConfig {
  return loadKubeConfig(inject('kubeconfig'));
}

/** A fresh namespace per test file, so files share one API server without seeing each other. */
export async function createNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function deleteNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name });
}

/** The API server's message for a rejected create, or throws if the create succeeded. */
export async function rejection(kc: KubeConfig, object: KubernetesObject): Promise<string> {
  try {
    await KubernetesObjectApi.makeApiClient(kc).create(object);
  } catch (error) {
    if (error instanceof ApiException) {
      const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      return String(body?.message ?? error.message);
    }
    throw error;
  }
  throw new Error(`${object.kind} ${object.metadata?.name} was accepted, expected a rejection`);
}

const run = promisify(execFile);

export async function kubectl(args: string[]): Promise<string> {
  const binary = join(inject('binDir'), 'kubectl');
  const { stdout } = await run(binary, ['--kubeconfig', inject('kubeconfig'), ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

// The cluster a ControlPlane built, as a user reaches it: the Go-built kubectl with the admin
// kubeconfig from the `<name>-kubeconfig` Secret (or one taken from a host).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { KubeClient } from '../../src/runtime/kube-client.ts';
import { resourcePath, secretResource } from '../../src/runtime/resources.ts';

const run = promisify(execFile);

export interface WorkloadCluster {
  kubeconfigPath: string;
  kubectl(args: readonly string[]): Promise<string>;
}

function boundTo(kubeconfig: string): WorkloadCluster {
  const dir = mkdtempSync(join(tmpdir(), 'kubesmith-workload-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const binary = join(inject('binDir'), 'kubectl');
  return {
    kubeconfigPath,
    async kubectl(args) {
      const { stdout } = await run(binary, ['--kubeconfig', kubeconfigPath, '--request-timeout=20s', ...args], { encoding: 'utf8', timeout: 60_000 });
      return stdout;
    },
  };
}

/** kubectl with the kubeconfig from the ControlPlane's `<name>-kubeconfig` Secret. */
export async function workloadCluster(client: KubeClient, namespace: string, controlPlane: string): Promise<WorkloadCluster> {
  const secret = await client.get<V1Secret>(resourcePath(secretResource, namespace, `${controlPlane}-kubeconfig`));
  return boundTo(Buffer.from(secret.data!.value!, 'base64').toString('utf8'));
}

/** kubectl with a given kubeconfig, such as one read from a control-plane host. */
export function kubectlWith(kubeconfig: string, args: readonly string[]): Promise<string> {
  return boundTo(kubeconfig).kubectl(args);
}

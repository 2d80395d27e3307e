// Maps changes of related objects to the primary objects they affect.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MachineHost } from '../api/index.ts';
import type { Informer } from '../runtime/informer.ts';
import { objectKey } from '../runtime/resources.ts';

/** A Secret change re-enqueues every MachineHost of its namespace whose SSH key (or bastion key) it holds. */
export function hostsUsingSecret(hosts: Informer<MachineHost>): (secret: KubernetesObject) => string[] {
  return (secret) =>
    hosts
      .list()
      .filter(
        (h) =>
          h.metadata.namespace === secret.metadata?.namespace &&
          (h.spec.sshKeySecretRef?.name === secret.metadata?.name ||
            h.spec.bastion?.sshKeySecretRef?.name === secret.metadata?.name),
      )
      .map(objectKey);
}

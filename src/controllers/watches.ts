// Maps changes of related objects to the primary objects they affect.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MachineHost } from '../api/index.ts';
import type { Informer } from '../runtime/informer.ts';
import { objectKey } from '../runtime/resources.ts';

/** A change to a key Secret (the only Secrets cached, see key-secrets.ts) re-enqueues every MachineHost of its namespace whose SSH key (or bastion key) it holds. */
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

function identities(host: MachineHost): string[] {
  const facts = host.status?.facts;
  return [
    facts?.productUUID && `uuid:${facts.productUUID}`,
    facts?.machineID && `machine-id:${facts.machineID}`,
    ...(facts?.macAddresses ?? []).map((m) => `mac:${m}`),
    `hostname:${host.spec.hostname ?? host.metadata.name}`,
  ].filter((x): x is string => Boolean(x));
}

/**
 * A host's facts changing re-enqueues the other hosts of its namespace that share (or shared) an
 * identity with it, so a duplicate is flagged on both, and cleared on both once fixed.
 */
export function hostsSharingIdentity(hosts: Informer<MachineHost>): (host: MachineHost) => string[] {
  return (host) => {
    const mine = new Set(identities(host));
    return hosts
      .list()
      .filter((p) => p.metadata.namespace === host.metadata.namespace && p.metadata.uid !== host.metadata.uid)
      .filter((p) => identities(p).some((id) => mine.has(id)))
      .map(objectKey);
  };
}

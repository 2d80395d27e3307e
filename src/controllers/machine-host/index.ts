import type { MachineHost } from '../../api/index.ts';
import type { SshPool } from '../../host/index.ts';
import { ownPool } from '../ssh-pool.ts';
import type { Informer, Source } from '../../runtime/informer.ts';
import type { Manager } from '../../runtime/manager.ts';
import { KeySecrets, keySecretInformer } from '../key-secrets.ts';
import { machineHostResource } from '../resources.ts';
import { hostsSharingIdentity, hostsUsingSecret } from '../watches.ts';
import { isOwnPinWrite } from './host-key-pin.ts';
import { FIELD_MANAGER, reconcileMachineHost } from './reconciler.ts';

export interface MachineHostControllerOptions {
  recheckIntervalMs?: number;
  retryMs?: number;
  /** A pool shared with other controllers, so each host has one connection; one of its own when absent. */
  pool?: SshPool;
  concurrency?: number;
}

/** Registers the MachineHost controller; returns its SSH pool, whose counters show what it cost. */
export function addMachineHostController(manager: Manager, options: MachineHostControllerOptions = {}): SshPool {
  const hosts = manager.informer<MachineHost>(machineHostResource);
  // Limits the Secret cache, for every controller, to the key Secrets this controller labels.
  const secrets = new KeySecrets(manager.client, keySecretInformer(manager), FIELD_MANAGER);
  const pool = options.pool ?? ownPool(manager);
  const deps = {
    client: manager.client,
    hosts,
    secrets,
    pool,
    events: manager.events('machinehost'),
    recheckIntervalMs: options.recheckIntervalMs ?? 10 * 60_000,
    retryMs: options.retryMs ?? 15_000,
  };
  manager.addController({
    name: 'machinehost',
    primary: withoutOwnPinWrites(hosts),
    concurrency: options.concurrency ?? 10,
    watches: [
      { informer: secrets.source(), map: hostsUsingSecret(hosts) },
      { informer: hosts, map: hostsSharingIdentity(hosts) },
    ],
    reconcile: (key, ctx) => reconcileMachineHost(deps, key, ctx),
  });
  return pool;
}

/**
 * The hosts as the controller's primary source, minus the updates its own host key pin writes make:
 * the reconcile that wrote the annotation has just probed the host, so another one would only cost a
 * second SSH round trip. Every other change, a person's edit of a pin included, is reconciled.
 */
function withoutOwnPinWrites(hosts: Informer<MachineHost>): Source<MachineHost> {
  return {
    on: (handler) =>
      hosts.on((event, object, old) => {
        if (event === 'update' && old && isOwnPinWrite(old, object)) return;
        handler(event, object, old);
      }),
    hasSynced: () => hosts.hasSynced(),
  };
}

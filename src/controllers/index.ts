import { ArtifactCache } from '../artifacts/index.ts';
import type { Manager } from '../runtime/manager.ts';
import { addControlPlaneController } from './control-plane/index.ts';
import { addMachineHostController, type MachineHostControllerOptions } from './machine-host/index.ts';
import { addNetworkAddonController } from './network-addon/index.ts';
import { ownPool } from './ssh-pool.ts';
import { addWorkerPoolController } from './worker-pool/index.ts';

/** Registers one controller per kind with the manager. */
export function addControllers(manager: Manager, machineHosts: MachineHostControllerOptions = {}): void {
  // One pool for every controller: one connection per host, and one bound on hosts worked at once.
  const pool = ownPool(manager);
  // One artifact cache too: two caches on one directory would unpack the same archive at once.
  const artifacts = new ArtifactCache();
  addMachineHostController(manager, { ...machineHosts, pool });
  addControlPlaneController(manager, { pool, artifacts });
  addWorkerPoolController(manager, { pool, artifacts });
  addNetworkAddonController(manager, { pool });
}

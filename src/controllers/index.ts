import type { Manager } from '../runtime/manager.ts';
import { addControlPlaneController } from './control-plane/index.ts';
import { addMachineHostController, type MachineHostControllerOptions } from './machine-host/index.ts';
import { addNotImplementedController } from './not-implemented.ts';
import { ownPool } from './ssh-pool.ts';
import { networkAddonResource, workerPoolResource } from './resources.ts';

/** Registers one controller per kind with the manager. */
export function addControllers(manager: Manager, machineHosts: MachineHostControllerOptions = {}): void {
  // One pool for every controller: one connection per host, and one bound on hosts worked at once.
  const pool = ownPool(manager);
  addMachineHostController(manager, { ...machineHosts, pool });
  addControlPlaneController(manager, { pool });
  addNotImplementedController(manager, workerPoolResource, ['HostsClaimed', 'NodesReady', 'Ready']);
  addNotImplementedController(manager, networkAddonResource, ['Installed', 'Ready']);
}

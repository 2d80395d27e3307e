import type { Manager } from '../runtime/manager.ts';
import { addMachineHostController, type MachineHostControllerOptions } from './machine-host/index.ts';
import { addNotImplementedController } from './not-implemented.ts';
import { controlPlaneResource, networkAddonResource, workerPoolResource } from './resources.ts';

/** Registers one controller per kind with the manager. */
export function addControllers(manager: Manager, machineHosts: MachineHostControllerOptions = {}): void {
  addMachineHostController(manager, machineHosts);
  addNotImplementedController(manager, controlPlaneResource, [
    'HostsClaimed',
    'CertificatesReady',
    'EtcdClusterHealthy',
    'Available',
  ]);
  addNotImplementedController(manager, workerPoolResource, ['HostsClaimed', 'NodesReady', 'Ready']);
  addNotImplementedController(manager, networkAddonResource, ['Installed', 'Ready']);
}

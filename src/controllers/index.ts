import type { Manager } from '../runtime/manager.ts';
import { addNotImplementedController } from './not-implemented.ts';
import { controlPlaneResource, machineHostResource, networkAddonResource, workerPoolResource } from './resources.ts';

/** Registers one controller per kind with the manager. */
export function addControllers(manager: Manager): void {
  addNotImplementedController(manager, machineHostResource, ['Reachable', 'PreflightPassed', 'Prepared', 'Ready']);
  addNotImplementedController(manager, controlPlaneResource, [
    'HostsClaimed',
    'CertificatesReady',
    'EtcdClusterHealthy',
    'Available',
  ]);
  addNotImplementedController(manager, workerPoolResource, ['HostsClaimed', 'NodesReady', 'Ready']);
  addNotImplementedController(manager, networkAddonResource, ['Installed', 'Ready']);
}

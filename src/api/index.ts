import { controlPlaneKind } from './control-plane.ts';
import { machineHostKind } from './machine-host.ts';
import { networkAddonKind } from './network-addon.ts';
import { workerPoolKind } from './worker-pool.ts';

export * from './common.ts';
export * from './control-plane.ts';
export * from './machine-host.ts';
export * from './network-addon.ts';
export * from './worker-pool.ts';
export type { KindDefinition, PrinterColumn } from './kind.ts';

export const kinds = [machineHostKind, controlPlaneKind, workerPoolKind, networkAddonKind];

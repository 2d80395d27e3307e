import { GROUP, VERSION, controlPlaneKind, machineHostKind, networkAddonKind, workerPoolKind } from '../api/index.ts';
import type { KindDefinition } from '../api/index.ts';
import type { Resource } from '../runtime/resources.ts';

export function kindResource(def: KindDefinition): Resource {
  return { group: GROUP, version: VERSION, plural: def.plural, kind: def.kind, namespaced: true };
}

export const machineHostResource = kindResource(machineHostKind);
export const controlPlaneResource = kindResource(controlPlaneKind);
export const workerPoolResource = kindResource(workerPoolKind);
export const networkAddonResource = kindResource(networkAddonKind);

// The NetworkAddon reconcile: the phase list, status written once at the end; on deletion the pod
// network is taken off every host of the cluster.
import type { NetworkAddon } from '../../api/index.ts';
import { hostWork, recordEvents } from '../host-work.ts';
import type { ReconcileContext, Result } from '../../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import { finishReconcile } from '../phase-status.ts';
import { runPhases, teardownPhases } from '../phases.ts';
import { networkAddonResource } from '../resources.ts';
import { NETWORK_ADDON_PHASES as PHASES } from './phases.ts';
import type { NetworkAddonDeps, NetworkAddonScope } from './scope.ts';

export const FINALIZER = 'kubesmith.io/networkaddon';
export const FIELD_MANAGER = 'kubesmith-networkaddon';
export const OWNED: readonly string[] = [...PHASES.map((p) => p.condition), 'Ready', 'Reconciling', 'Stalled'];

function newScope(deps: NetworkAddonDeps, addon: NetworkAddon, ctx: ReconcileContext): NetworkAddonScope {
  const { conditions: _conditions, observedGeneration: _observed, ...previous } = addon.status ?? {};
  const scope: NetworkAddonScope = {
    deps,
    addon,
    log: ctx.log,
    signal: ctx.signal,
    ...hostWork(deps, ctx.signal),
    status: previous,
  };
  return scope;
}

export async function reconcileNetworkAddon(deps: NetworkAddonDeps, key: string, ctx: ReconcileContext): Promise<Result | void> {
  let addon = deps.networkAddons.get(key);
  if (!addon) return;
  if (addon.metadata.deletionTimestamp) {
    if (!hasFinalizer(addon, FINALIZER)) return;
    const scope = newScope(deps, addon, ctx);
    await teardownPhases(PHASES, scope, { signal: ctx.signal });
    await recordEvents(scope.deps.events, scope.addon, networkAddonResource, scope);
    await removeFinalizer(deps.client, networkAddonResource, addon, FINALIZER);
    return;
  }
  if (!hasFinalizer(addon, FINALIZER)) addon = await addFinalizer(deps.client, networkAddonResource, addon, FINALIZER);
  const scope = newScope(deps, addon, ctx);
  const report = await runPhases(PHASES, scope, { signal: ctx.signal, log: ctx.log });
  await recordEvents(scope.deps.events, scope.addon, networkAddonResource, scope);
  return finishReconcile({
    client: deps.client,
    resource: networkAddonResource,
    object: addon,
    report,
    fields: scope.status,
    owned: OWNED,
    fieldManager: FIELD_MANAGER,
    readyMessage: 'the pod network runs on every Node',
    paused: false,
    timing: deps,
  });
}

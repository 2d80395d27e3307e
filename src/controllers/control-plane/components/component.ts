// A control-plane component as data: what it is called, where its binary and unit go, how to tell it
// is healthy, and the flags kubesmith gives it. The unit, the health check and the extraArgs rule are
// derived from these entries, never written per component.
import { withExtraArgs, type Flag } from '../../units/managed-flags.ts';
import type { ComponentsPlan, ExtraArgsField } from './plan.ts';
import { unitPath } from '../../units/systemd-unit.ts';

export type ComponentName = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export const BINARY_DIR = '/usr/local/bin';

export interface ControlPlaneComponent {
  name: ComponentName;
  /** What it does, for the unit's Description. */
  summary: string;
  documentation: string;
  binary: string;
  unitPath: string;
  /** An HTTPS endpoint on the host that answers 200 once the component works; its certificate is self-signed or the cluster's. */
  healthURL: string;
  extraArgsField: ExtraArgsField;
  /** Units this one starts after, besides the network. */
  after: readonly string[];
  /** `notify` when the binary tells systemd it serves (kube-apiserver does, the others do not). */
  unitType: 'notify' | 'simple';
  /** The flags kubesmith sets, in a fixed order. */
  managedFlags(plan: ComponentsPlan): Flag[];
  /** Flags kubesmith does not pass but that would contradict the ones it does. */
  reserved?: (name: string) => boolean;
}

export function defineComponent(
  spec: Omit<ControlPlaneComponent, 'binary' | 'unitPath' | 'documentation'>,
): ControlPlaneComponent {
  return {
    ...spec,
    binary: `${BINARY_DIR}/${spec.name}`,
    unitPath: unitPath(spec.name),
    documentation: `https://kubernetes.io/docs/reference/command-line-tools-reference/${spec.name}/`,
  };
}

export function extraArgsFieldPath(component: ControlPlaneComponent): string {
  return `spec.${component.extraArgsField}.extraArgs`;
}

/** Managed flags, then the plan's extra ones; throws ManagedFlagError when an extra one overrides. */
export function componentFlags(component: ControlPlaneComponent, plan: ComponentsPlan): Flag[] {
  return withExtraArgs(component.managedFlags(plan), {
    field: extraArgsFieldPath(component),
    args: plan.extraArgs[component.extraArgsField],
    reserved: component.reserved,
  });
}

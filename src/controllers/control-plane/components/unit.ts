// The systemd unit of a control-plane component: the same shape as etcd's, from the component's data.
import { componentFlags, type ControlPlaneComponent } from './component.ts';
import type { ComponentsPlan } from './plan.ts';
import { serviceUnit } from '../../units/systemd-unit.ts';

export function componentUnit(component: ControlPlaneComponent, plan: ComponentsPlan): string {
  return serviceUnit({
    description: `${component.summary} (managed by kubesmith)`,
    documentation: component.documentation,
    after: ['network-online.target', ...component.after],
    wants: ['network-online.target'],
    type: component.unitType,
    binary: component.binary,
    flags: componentFlags(component, plan),
  });
}

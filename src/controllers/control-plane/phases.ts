// The ControlPlane's phases, in order. Each owns one condition; the runner in ../phases.ts runs them.
import type { Phase } from '../phases.ts';
import { availablePhase } from './available-phase.ts';
import { claimPhase } from './claim-phase.ts';
import { componentsPhase } from './components/phase.ts';
import { dnsPhase } from './dns/phase.ts';
import { etcdPhase } from './etcd/phase.ts';
import { nodesPhase } from './nodes-phase.ts';
import { certificatesPhase } from './pki/phase.ts';
import type { ControlPlaneScope } from './scope.ts';

export const CONTROL_PLANE_PHASES: readonly Phase<ControlPlaneScope>[] = [
  claimPhase,
  certificatesPhase,
  etcdPhase,
  componentsPhase,
  availablePhase,
  nodesPhase,
  dnsPhase,
];

// The WorkerPool's phases, in order; the runner in ../phases.ts runs them.
import type { Phase } from '../phases.ts';
import { claimPhase } from './claim-phase.ts';
import { clusterPhase } from './cluster-phase.ts';
import { installPhase } from './install-phase.ts';
import { readyPhase } from './ready-phase.ts';
import { scaleDownPhase } from './scale-down-phase.ts';
import type { WorkerPoolScope } from './scope.ts';

export const WORKER_POOL_PHASES: readonly Phase<WorkerPoolScope>[] = [claimPhase, clusterPhase, installPhase, readyPhase, scaleDownPhase];

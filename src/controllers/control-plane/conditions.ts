import type { ConditionInput } from '../../runtime/conditions.ts';

export const PHASE_CONDITIONS = ['HostsClaimed', 'CertificatesReady', 'EtcdClusterHealthy'] as const;
export const OWNED = [...PHASE_CONDITIONS, 'Available'] as const;

export type PhaseCondition = (typeof PHASE_CONDITIONS)[number];
export type Conditions = Record<PhaseCondition, ConditionInput>;

/** Where a reconcile starts: each phase's condition says what it waits for. */
export function initialConditions(): Conditions {
  return {
    HostsClaimed: { type: 'HostsClaimed', status: 'Unknown', reason: 'NotChecked', message: 'MachineHosts not looked at yet' },
    CertificatesReady: {
      type: 'CertificatesReady',
      status: 'Unknown',
      reason: 'WaitingForHosts',
      message: 'certificates are made once the hosts are claimed',
    },
    EtcdClusterHealthy: {
      type: 'EtcdClusterHealthy',
      status: 'Unknown',
      reason: 'WaitingForCertificates',
      message: 'etcd is installed once the hosts have their certificates',
    },
  };
}

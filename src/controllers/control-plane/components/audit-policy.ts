// The audit policy (audit.k8s.io/v1): who did what, when, to which object, at Metadata level for
// every request. Bodies are never logged, so neither a Secret's data nor a token reaches the log.
// Entries are dropped only for the health endpoints, events, and read-only traffic of the system's
// own components, which would otherwise be most of the log. The first matching rule wins, so the
// sensitive resources come first: no later rule can change their level.
import { stringify } from 'yaml';
import { KUBERNETES_DIR } from '../../../pki/index.ts';

export const AUDIT_POLICY_PATH = `${KUBERNETES_DIR}/audit-policy.yaml`;
export const AUDIT_LOG_DIR = '/var/log/kubernetes/audit';
export const AUDIT_LOG_PATH = `${AUDIT_LOG_DIR}/audit.log`;

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';

export interface GroupResources {
  group: string;
  resources: string[];
}

export interface AuditRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
}

export interface AuditPolicy {
  apiVersion: 'audit.k8s.io/v1';
  kind: 'Policy';
  omitStages: string[];
  rules: AuditRule[];
}

const READ = ['get', 'list', 'watch'];

const rules: AuditRule[] = [
  {
    level: 'Metadata',
    resources: [
      { group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] },
      { group: 'authentication.k8s.io', resources: ['tokenreviews'] },
    ],
  },
  { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version'] },
  {
    level: 'None',
    users: ['system:kube-proxy'],
    verbs: ['watch'],
    resources: [
      { group: '', resources: ['endpoints', 'services', 'services/status'] },
      { group: 'discovery.k8s.io', resources: ['endpointslices'] },
    ],
  },
  { level: 'None', userGroups: ['system:nodes'], verbs: ['get'], resources: [{ group: '', resources: ['nodes', 'nodes/status'] }] },
  {
    level: 'None',
    users: ['system:kube-controller-manager', 'system:kube-scheduler'],
    verbs: ['get', 'update'],
    namespaces: ['kube-system'],
    resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }],
  },
  {
    level: 'None',
    users: ['system:apiserver'],
    verbs: READ,
    resources: [{ group: '', resources: ['namespaces', 'namespaces/status', 'namespaces/finalize'] }],
  },
  // As Kubernetes' own reference policy (cluster/gce configure-helper.sh): events are the bulk of
  // all writes and say nothing about who changed the cluster.
  { level: 'None', resources: [{ group: '', resources: ['events'] }, { group: 'events.k8s.io', resources: ['events'] }] },
  { level: 'Metadata' },
];

export function auditPolicy(): AuditPolicy {
  // RequestReceived only repeats what ResponseComplete says a moment later.
  return { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: structuredClone(rules) };
}

export function renderAuditPolicy(): string {
  return stringify(auditPolicy(), { lineWidth: 0 });
}

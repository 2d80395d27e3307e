import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAuditPolicy, type AuditLevel, type AuditPolicy, type AuditRule } from '../../../../src/controllers/control-plane/components/audit-policy.ts';

const policy = parse(renderAuditPolicy()) as AuditPolicy;

interface Request {
  user: string;
  groups: string[];
  verb: string;
  group?: string;
  resource?: string;
  namespace?: string;
  path?: string;
}

// The API server's matching (k8s.io/apiserver/pkg/audit/policy/checker.go), for the fields used here.
function matches(rule: AuditRule, r: Request): boolean {
  if (rule.users && !rule.users.includes(r.user)) return false;
  if (rule.userGroups && !rule.userGroups.some((g) => r.groups.includes(g))) return false;
  if (rule.verbs && !rule.verbs.includes(r.verb)) return false;
  if (rule.nonResourceURLs || rule.resources || rule.namespaces) {
    if (r.path !== undefined) {
      return (rule.nonResourceURLs ?? []).some((u) => (u.endsWith('*') ? r.path!.startsWith(u.slice(0, -1)) : u === r.path));
    }
    if (rule.nonResourceURLs) return false;
    if (rule.namespaces && !rule.namespaces.includes(r.namespace ?? '')) return false;
    if (rule.resources && !rule.resources.some((gr) => gr.group === r.group && gr.resources.includes(r.resource!))) return false;
  }
  return true;
}

function levelOf(r: Request): AuditLevel {
  return policy.rules.find((rule) => matches(rule, r))?.level ?? 'None';
}

const callers = [
  { user: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
  { user: 'system:kube-proxy', groups: ['system:authenticated'] },
  { user: 'system:node:cp-1', groups: ['system:nodes', 'system:authenticated'] },
  { user: 'system:kube-controller-manager', groups: ['system:authenticated'] },
  { user: 'system:kube-scheduler', groups: ['system:authenticated'] },
  { user: 'system:apiserver', groups: ['system:authenticated'] },
  { user: 'system:anonymous', groups: ['system:unauthenticated'] },
];
const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

describe('audit policy', () => {
  it('is an audit.k8s.io/v1 Policy that never records request or response bodies', () => {
    expect(policy.apiVersion).toBe('audit.k8s.io/v1');
    expect(policy.kind).toBe('Policy');
    expect(policy.rules.map((r) => r.level).filter((l) => l !== 'None' && l !== 'Metadata')).toEqual([]);
    expect(policy.rules.at(-1)).toEqual({ level: 'Metadata' });
  });

  it('has a Metadata rule for secrets before any rule that could match them', () => {
    const secretsRule = policy.rules.findIndex((r) => r.resources?.some((gr) => gr.group === '' && gr.resources.includes('secrets')));
    const broader = policy.rules.findIndex(
      (r, i) => i !== secretsRule && !r.nonResourceURLs && !r.resources?.length,
    );
    expect(secretsRule).toBe(0);
    expect(policy.rules[secretsRule]!.level).toBe('Metadata');
    expect(secretsRule).toBeLessThan(broader);
  });

  it.each(['secrets', 'configmaps', 'serviceaccounts/token'])('records who touched %s, at Metadata, whoever and however', (resource) => {
    for (const caller of callers) {
      for (const verb of verbs) {
        for (const namespace of ['default', 'kube-system']) {
          expect(levelOf({ ...caller, verb, group: '', resource, namespace }), `${caller.user} ${verb} ${namespace}/${resource}`).toBe('Metadata');
        }
      }
    }
    expect(levelOf({ ...callers[0]!, verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' })).toBe('Metadata');
  });

  it('drops health probes and the read-only chatter of system components', () => {
    const anonymous = callers.at(-1)!;
    expect(levelOf({ ...anonymous, verb: 'get', path: '/readyz' })).toBe('None');
    expect(levelOf({ ...anonymous, verb: 'get', path: '/livez/etcd' })).toBe('None');
    expect(levelOf({ ...callers[1]!, verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices' })).toBe('None');
    expect(levelOf({ ...callers[2]!, verb: 'get', group: '', resource: 'nodes' })).toBe('None');
    expect(levelOf({ ...callers[3]!, verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system' })).toBe('None');
  });

  it('records everything else at Metadata, including what the chatter rules leave out', () => {
    expect(levelOf({ ...callers[0]!, verb: 'delete', group: 'apps', resource: 'deployments', namespace: 'default' })).toBe('Metadata');
    expect(levelOf({ ...callers[0]!, verb: 'get', path: '/apis' })).toBe('Metadata');
    expect(levelOf({ ...callers[1]!, verb: 'delete', group: '', resource: 'services', namespace: 'default' })).toBe('Metadata');
    expect(levelOf({ ...callers[2]!, verb: 'patch', group: '', resource: 'nodes' })).toBe('Metadata');
    expect(levelOf({ ...callers[0]!, verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' })).toBe('Metadata');
  });
});

// Health of the control-plane components on one member, asked through the SSH tunnel: the API
// server's /readyz (TLS verified against the cluster CA) and the secure /healthz ports of the
// controller-manager and the scheduler (self-signed serving certificates, so no credentials go there).
import { errorMessage } from '../../../errors.ts';
import { clusterCA, requestThrough } from '../cluster-access.ts';
import { controlPlaneComponents, type ComponentName } from './index.ts';
import type { Member } from '../members.ts';
import type { ControlPlaneScope } from '../scope.ts';

export interface MemberHealth {
  member: Member;
  /** One entry per component that does not answer healthy. */
  unhealthy: { component: ComponentName; problem: string }[];
}

async function componentProblem(scope: ControlPlaneScope, member: Member, component: (typeof controlPlaneComponents)[number]): Promise<string | undefined> {
  const url = new URL(component.healthURL);
  const verify = component.name === 'kube-apiserver' ? { caPem: clusterCA(scope), serverName: member.ip } : undefined;
  try {
    const response = await requestThrough(scope, member, url.hostname, Number(url.port), {
      method: 'GET',
      path: url.pathname,
      ...(verify ? { verify } : {}),
      timeoutMs: 10_000,
    });
    return response.status === 200 ? undefined : `${url.pathname} answered ${response.status}: ${response.body.trim().split('\n').slice(-3).join('; ')}`;
  } catch (error) {
    return errorMessage(error);
  }
}

export async function checkMemberComponents(scope: ControlPlaneScope, member: Member, only?: readonly ComponentName[]): Promise<MemberHealth> {
  const components = controlPlaneComponents.filter((c) => !only || only.includes(c.name));
  const problems = await Promise.all(components.map((c) => componentProblem(scope, member, c)));
  return {
    member,
    unhealthy: components.flatMap((c, i) => (problems[i] === undefined ? [] : [{ component: c.name, problem: problems[i]! }])),
  };
}

export function describeHealth(health: MemberHealth): string {
  return health.unhealthy.map((u) => `${health.member.name}: ${u.component} ${u.problem}`).join('; ');
}

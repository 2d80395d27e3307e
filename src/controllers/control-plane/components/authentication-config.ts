// kube-apiserver's AuthenticationConfiguration (apiserver.config.k8s.io/v1, GA in Kubernetes 1.34):
// anonymous requests are let in for the health endpoints only, which load balancers and probes use
// without credentials; anywhere else an anonymous request is refused before RBAC is consulted, so a
// binding granting system:anonymous more cannot open anything (CIS 1.2.1). With this file
// --anonymous-auth must not be passed.
import { stringify } from 'yaml';
import { KUBERNETES_DIR } from '../../../pki/index.ts';

export const AUTHENTICATION_CONFIG_PATH = `${KUBERNETES_DIR}/authentication-config.yaml`;

export const ANONYMOUS_PATHS = ['/livez', '/readyz', '/healthz'] as const;

export interface AuthenticationConfiguration {
  apiVersion: 'apiserver.config.k8s.io/v1';
  kind: 'AuthenticationConfiguration';
  anonymous: { enabled: boolean; conditions: { path: string }[] };
}

export function authenticationConfiguration(): AuthenticationConfiguration {
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthenticationConfiguration',
    anonymous: { enabled: true, conditions: ANONYMOUS_PATHS.map((path) => ({ path })) },
  };
}

export function renderAuthenticationConfig(): string {
  return stringify(authenticationConfiguration(), { lineWidth: 0 });
}

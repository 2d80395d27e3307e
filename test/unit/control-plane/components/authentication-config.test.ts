import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAuthenticationConfig } from '../../../../src/controllers/control-plane/components/authentication-config.ts';

describe('authentication config', () => {
  it('lets anonymous requests in for the three health endpoints only, and configures nothing else', () => {
    expect(renderAuthenticationConfig()).toMatchInlineSnapshot(`
      "apiVersion: apiserver.config.k8s.io/v1
      kind: AuthenticationConfiguration
      anonymous:
        enabled: true
        conditions:
          - path: /livez
          - path: /readyz
          - path: /healthz
      "
    `);
    const config = parse(renderAuthenticationConfig());
    expect(Object.keys(config)).toEqual(['apiVersion', 'kind', 'anonymous']);
    expect(config.anonymous.conditions.map((c: { path: string }) => c.path).sort()).toEqual(['/healthz', '/livez', '/readyz']);
  });
});

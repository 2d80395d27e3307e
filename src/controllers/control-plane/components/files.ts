// Everything the components need on a control-plane host besides binaries and PKI, as files to
// write: the three configuration files the API server reads and the three units. A dry run compares
// these with what the host has.
import type { FileSpec } from '../../../host/index.ts';
import { AUDIT_POLICY_PATH, renderAuditPolicy } from './audit-policy.ts';
import { AUTHENTICATION_CONFIG_PATH, renderAuthenticationConfig } from './authentication-config.ts';
import { controlPlaneComponents } from './components.ts';
import { ENCRYPTION_CONFIG_MODE, ENCRYPTION_CONFIG_PATH, renderEncryptionConfig, type EncryptionKey } from './encryption.ts';
import type { ComponentsPlan } from './plan.ts';
import { componentUnit } from './unit.ts';

/** Root only, as the CIS benchmark asks of the API server's configuration and the component definitions. */
export const COMPONENT_FILE_MODE = 0o600;

export function componentFiles(plan: ComponentsPlan, encryptionKey: EncryptionKey): FileSpec[] {
  return [
    { path: AUDIT_POLICY_PATH, mode: COMPONENT_FILE_MODE, content: renderAuditPolicy() },
    { path: AUTHENTICATION_CONFIG_PATH, mode: COMPONENT_FILE_MODE, content: renderAuthenticationConfig() },
    { path: ENCRYPTION_CONFIG_PATH, mode: ENCRYPTION_CONFIG_MODE, content: renderEncryptionConfig(encryptionKey) },
    ...controlPlaneComponents.map((c) => ({ path: c.unitPath, mode: COMPONENT_FILE_MODE, content: componentUnit(c, plan) })),
  ];
}

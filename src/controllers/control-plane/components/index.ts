// Pure builders for kube-apiserver, kube-controller-manager and kube-scheduler as systemd units and
// the files they read. Nothing here touches a host; the components phase writes what these return.
export * from './audit-policy.ts';
export * from './authentication-config.ts';
export * from './component.ts';
export * from './components.ts';
export * from './encryption.ts';
export * from './files.ts';
export * from './kube-apiserver.ts';
export * from './kube-controller-manager.ts';
export * from './kube-scheduler.ts';
export * from './pki-files.ts';
export * from './plan.ts';
export * from './unit.ts';

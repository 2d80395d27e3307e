export { Debian } from './debian.ts';
export type { OperatingSystem } from './operating-system.ts';
export { describeOs, parseOsRelease, type OsRelease } from './os-release.ts';
export { Rhel } from './rhel.ts';
export { detectOs, selectOs, supportedOperatingSystems } from './select.ts';
export { Ubuntu } from './ubuntu.ts';

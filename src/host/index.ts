export { type ExecOptions, type ExecResult } from './command.ts';
export { SshCounters, type HostCounts } from './counters.ts';
export { endpointLabel, targetLabel, type Endpoint, type HostTarget } from './endpoint.ts';
export * from './errors.ts';
export {
  readFile,
  readFileStates,
  sha256Hex,
  uploadFile,
  writeFile,
  writeFiles,
  type FileSpec,
  type FileState,
  type FileTarget,
  type UploadSpec,
  type WriteResult,
} from './files.ts';
export { fingerprintOf, hostKeyFromBlob, InvalidHostKeyError, parseHostKeyLine, type HostKey } from './host-key.ts';
export { HostSession, type HostChange, type HostObserver } from './host-session.ts';
export { SshPool, type PoolOptions, type UnreachableHosts, type WorkOptions } from './pool.ts';
export { redact, REDACTED, Redactor } from './redact.ts';
export { shellJoin, shellQuote } from './shell.ts';
export { SshConnection } from './ssh-connection.ts';

import { describe, expect, it } from 'vitest';
import { ManagedFlagError, withExtraArgs, type Flag } from '../../../src/controllers/units/managed-flags.ts';

const managed: Flag[] = [
  ['secure-port', '6443'],
  ['profiling', 'false'],
];

describe('withExtraArgs', () => {
  it('keeps the managed flags in their order and appends extra ones by name', () => {
    const flags = withExtraArgs(managed, { field: 'spec.apiServer.extraArgs', args: { v: '2', 'audit-log-compress': 'true', 'Zeta': 'x' } });
    expect(flags).toEqual([
      ['secure-port', '6443'],
      ['profiling', 'false'],
      ['Zeta', 'x'],
      ['audit-log-compress', 'true'],
      ['v', '2'],
    ]);
  });

  it('refuses every extra flag that overrides a managed one, naming the field and each flag', () => {
    const attempt = () => withExtraArgs(managed, { field: 'spec.apiServer.extraArgs', args: { profiling: 'true', 'secure-port': '443', v: '2' } });
    expect(attempt).toThrow(ManagedFlagError);
    expect(attempt).toThrow('spec.apiServer.extraArgs sets profiling, secure-port, which kubesmith manages itself; remove them');
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ reason: 'ManagedFlagConflict', needsPerson: true, field: 'spec.apiServer.extraArgs', flags: ['profiling', 'secure-port'] });
    }
  });

  it('sees through leading dashes, which would otherwise slip an override past the check', () => {
    expect(() => withExtraArgs(managed, { field: 'spec.scheduler.extraArgs', args: { '--profiling': 'true' } })).toThrow(
      'spec.scheduler.extraArgs sets profiling, which kubesmith manages itself; remove it',
    );
    expect(withExtraArgs(managed, { field: 'spec.scheduler.extraArgs', args: { '--v': '2' } }).at(-1)).toEqual(['v', '2']);
  });

  it('refuses reserved flags that kubesmith does not pass but that would contradict it', () => {
    const source = { field: 'spec.etcd.extraArgs', reserved: (name: string) => name.startsWith('initial-cluster') };
    expect(() => withExtraArgs(managed, { ...source, args: { 'initial-cluster-state': 'new' } })).toThrow(
      'spec.etcd.extraArgs sets initial-cluster-state, which kubesmith manages itself; remove it',
    );
  });
});

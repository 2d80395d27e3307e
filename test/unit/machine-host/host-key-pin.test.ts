// Where a recorded host key is kept and read from: the annotation first, then status (older
// versions); spec always wins; and which updates are the controller's own pin writes.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { MachineHost } from '../../../src/api/index.ts';
import {
  RECORDED_BASTION_HOST_KEY_ANNOTATION as BASTION,
  RECORDED_HOST_KEY_ANNOTATION as HOST,
  RecordedHostKeyInvalidError,
  isOwnPinWrite,
  pinAnnotations,
  pinnedKeys,
  recordedKeys,
  trustsFirstKey,
} from '../../../src/controllers/machine-host/host-key-pin.ts';
import { HostKeyNotRecordedError, target, type TargetDeps } from '../../../src/controllers/machine-host/reconciler.ts';

const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
const C = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC';

function host(
  options: { annotations?: Record<string, string>; status?: MachineHost['status']; spec?: Partial<MachineHost['spec']>; labels?: Record<string, string> } = {},
): MachineHost {
  return {
    apiVersion: 'kubesmith.io/v1alpha1',
    kind: 'MachineHost',
    metadata: { name: 'h', namespace: 'ns', generation: 1, annotations: options.annotations, labels: options.labels },
    spec: { address: '192.0.2.1', port: 22, user: 'root', sshKeySecretRef: { name: 's', key: 'k' }, paused: false, ...options.spec },
    status: options.status,
  };
}
const bastion = { address: '192.0.2.2', port: 22, user: 'root' };

describe('recorded host keys', () => {
  it('reads the annotation first, then status as older versions wrote it', () => {
    expect(recordedKeys(host({ annotations: { [HOST]: A }, status: { hostKey: B } })).hostKey).toBe(A);
    expect(recordedKeys(host({ status: { hostKey: B } })).hostKey).toBe(B);
    expect(recordedKeys(host()).hostKey).toBeUndefined();
  });

  it('lets spec.hostKey win over a recorded key, for the host and the bastion', () => {
    const h = host({ annotations: { [HOST]: A, [BASTION]: B }, spec: { hostKey: C, bastion: { ...bastion, hostKey: C } } });
    expect(pinnedKeys(h)).toEqual({ hostKey: C, bastionHostKey: C });
    expect(pinnedKeys(host({ annotations: { [HOST]: A, [BASTION]: B }, spec: { bastion } }))).toEqual({ hostKey: A, bastionHostKey: B });
  });

  it('ignores a bastion pin when there is no bastion', () => {
    expect(recordedKeys(host({ annotations: { [BASTION]: B }, status: { bastionHostKey: B } })).bastionHostKey).toBeUndefined();
  });

  it('refuses a recorded key that is not a key line, naming the annotation', () => {
    expect(() => pinnedKeys(host({ annotations: { [HOST]: 'ssh-ed25519 not-base64!' } }))).toThrow(RecordedHostKeyInvalidError);
    expect(() => pinnedKeys(host({ annotations: { [HOST]: 'ssh-ed25519 not-base64!' } }))).toThrow(HOST);
  });

  it('trusts the first key only where nothing is pinned or recorded', () => {
    expect(trustsFirstKey(host())).toBe(true);
    expect(trustsFirstKey(host({ annotations: { [HOST]: A } }))).toBe(false);
    expect(trustsFirstKey(host({ status: { hostKey: A } }))).toBe(false);
    expect(trustsFirstKey(host({ spec: { hostKey: A } }))).toBe(false);
    expect(trustsFirstKey(host({ annotations: { [HOST]: A }, spec: { bastion } }))).toBe(true);
    expect(trustsFirstKey(host({ annotations: { [HOST]: A, [BASTION]: B }, spec: { bastion } }))).toBe(false);
  });
});

describe('pin annotations to write', () => {
  it('records the keys seen at first contact', () => {
    expect(pinAnnotations(host({ spec: { bastion } }), { hostKey: A, bastionHostKey: B })).toEqual({ [HOST]: A, [BASTION]: B });
  });

  it('moves a key only in status (older versions) into the annotation', () => {
    expect(pinAnnotations(host({ status: { hostKey: A } }), {})).toEqual({ [HOST]: A });
  });

  it('writes nothing when the annotations are right, and never replaces a recorded key', () => {
    expect(pinAnnotations(host({ annotations: { [HOST]: A } }), {})).toBeUndefined();
    expect(pinAnnotations(host({ annotations: { [HOST]: A } }), { hostKey: B })).toBeUndefined();
  });

  it('removes a bastion pin once the bastion is gone', () => {
    expect(pinAnnotations(host({ annotations: { [HOST]: A, [BASTION]: B } }), {})).toEqual({ [BASTION]: null });
  });
});

describe('own pin writes', () => {
  const withAnnotations = (annotations: Record<string, string> | undefined, spec: Partial<MachineHost['spec']> = {}) =>
    host({ annotations, spec, labels: { role: 'cp' } });

  it('a pin added where there was none is the controller’s own write: not reconciled again', () => {
    expect(isOwnPinWrite(withAnnotations(undefined), withAnnotations({ [HOST]: A }))).toBe(true);
    expect(isOwnPinWrite(withAnnotations({ other: 'x' }), withAnnotations({ other: 'x', [HOST]: A, [BASTION]: B }, { bastion }))).toBe(true);
  });

  it('a bastion pin removed from a host without a bastion is the controller’s own write', () => {
    expect(isOwnPinWrite(withAnnotations({ [HOST]: A, [BASTION]: B }), withAnnotations({ [HOST]: A }))).toBe(true);
  });

  it('a person removing or changing a pin (re-pinning) is reconciled', () => {
    expect(isOwnPinWrite(withAnnotations({ [HOST]: A }), withAnnotations(undefined))).toBe(false);
    expect(isOwnPinWrite(withAnnotations({ [HOST]: A }), withAnnotations({ [HOST]: B }))).toBe(false);
    expect(isOwnPinWrite(withAnnotations({ [HOST]: A, [BASTION]: B }, { bastion }), withAnnotations({ [HOST]: A }, { bastion }))).toBe(false);
  });

  it('any other change alongside is reconciled', () => {
    expect(isOwnPinWrite(withAnnotations(undefined), withAnnotations({ [HOST]: A, 'kubesmith.io/nudge': '1' }))).toBe(false);
    const relabelled = withAnnotations({ [HOST]: A });
    relabelled.metadata.labels = { role: 'worker' };
    expect(isOwnPinWrite(withAnnotations(undefined), relabelled)).toBe(false);
    const respecced = withAnnotations({ [HOST]: A });
    respecced.metadata.generation = 2;
    expect(isOwnPinWrite(withAnnotations(undefined), respecced)).toBe(false);
    expect(isOwnPinWrite(withAnnotations({ [HOST]: A }), withAnnotations({ [HOST]: A }))).toBe(false);
  });
});

describe('the SSH target of a host', () => {
  const privateKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const deps = { secrets: { get: () => ({ data: { k: Buffer.from(privateKey).toString('base64') } }) } } as unknown as TargetDeps;

  it('verifies against spec, then the annotation, then status', () => {
    expect(target(deps, host({ annotations: { [HOST]: A }, status: { hostKey: B }, spec: { hostKey: C } })).hostKey).toBe(C);
    expect(target(deps, host({ annotations: { [HOST]: A }, status: { hostKey: B } })).hostKey).toBe(A);
    expect(target(deps, host({ status: { hostKey: B } })).hostKey).toBe(B);
    expect(target(deps, host({ annotations: { [HOST]: A, [BASTION]: B }, spec: { bastion } })).bastion?.hostKey).toBe(B);
  });

  it('is refused to anyone but the recorder while nothing is pinned: no other controller trusts the first key', () => {
    expect(() => target(deps, host())).toThrow(HostKeyNotRecordedError);
    expect(() => target(deps, host({ annotations: { [HOST]: A }, spec: { bastion } }))).toThrow("'s bastion");
    expect(target(deps, host(), { trustFirstKey: true }).hostKey).toBeUndefined();
  });
});

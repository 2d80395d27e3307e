// Where a host key recorded at first contact is kept: in annotations on the MachineHost, not in its
// status, because status is not restored by every backup or migration (Velero restores without it by
// default; `kubectl get -o yaml | kubectl apply` drops it) and a lost pin would trust whatever key
// answers next. spec.hostKey (and spec.bastion.hostKey) always win over a recorded key.
//
// Versions before the annotations kept the pin in status.hostKey and status.bastionHostKey. Those are
// read when the annotation is absent and moved into it; from then on status no longer carries the key
// line (only its fingerprint), so removing the annotation really re-pins at the next contact.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { MachineHost } from '../../api/index.ts';
import { KubesmithError } from '../../errors.ts';
import { parseHostKeyLine } from '../../host/index.ts';

export const RECORDED_HOST_KEY_ANNOTATION = 'kubesmith.io/recorded-host-key';
export const RECORDED_BASTION_HOST_KEY_ANNOTATION = 'kubesmith.io/recorded-bastion-host-key';

export interface RecordedKeys {
  hostKey?: string;
  bastionHostKey?: string;
}

/** The recorded pins: annotation first, then status as older versions wrote it. The bastion's only while there is a bastion. */
export function recordedKeys(host: MachineHost): RecordedKeys {
  const annotations = host.metadata.annotations ?? {};
  return {
    hostKey: annotations[RECORDED_HOST_KEY_ANNOTATION] || host.status?.hostKey || undefined,
    bastionHostKey: host.spec.bastion
      ? annotations[RECORDED_BASTION_HOST_KEY_ANNOTATION] || host.status?.bastionHostKey || undefined
      : undefined,
  };
}

/** A recorded pin that is not a host key line (the annotations can be edited by hand). */
export class RecordedHostKeyInvalidError extends KubesmithError {
  readonly reason = 'HostKeyInvalid';
  override readonly needsPerson = true;
}

function checked(value: string | undefined, annotation: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseHostKeyLine(value);
  } catch (error) {
    throw new RecordedHostKeyInvalidError(
      `the recorded host key (annotation ${annotation}) is not usable: ${(error as Error).message}; remove the annotation ` +
        'to record the key seen at the next contact, or pin the key in spec',
      { cause: error },
    );
  }
  return value;
}

/** The keys to verify against: spec first, then the recorded ones; throws when a recorded one is not a key line. */
export function pinnedKeys(host: MachineHost): RecordedKeys {
  const recorded = recordedKeys(host);
  const { bastion } = host.spec;
  return {
    hostKey: host.spec.hostKey ?? checked(recorded.hostKey, RECORDED_HOST_KEY_ANNOTATION),
    bastionHostKey: bastion ? (bastion.hostKey ?? checked(recorded.bastionHostKey, RECORDED_BASTION_HOST_KEY_ANNOTATION)) : undefined,
  };
}

/** Whether connecting would trust the first key seen, for the host or its bastion. */
export function trustsFirstKey(host: MachineHost): boolean {
  const recorded = recordedKeys(host);
  const bastion = host.spec.bastion;
  return (!host.spec.hostKey && !recorded.hostKey) || (!!bastion && !bastion.hostKey && !recorded.bastionHostKey);
}

/** The pins that belong in the annotations: the recorded ones, else those seen at first contact just now. */
export function keysToRecord(host: MachineHost, seen: RecordedKeys): RecordedKeys {
  const recorded = recordedKeys(host);
  return {
    hostKey: recorded.hostKey ?? seen.hostKey,
    bastionHostKey: host.spec.bastion ? (recorded.bastionHostKey ?? seen.bastionHostKey) : undefined,
  };
}

/**
 * The annotation changes that bring the object in line: keys seen at first contact and keys only in
 * status (older versions) are written; a bastion pin without a bastion is removed. Undefined when the
 * annotations are already right.
 */
export function pinAnnotations(host: MachineHost, seen: RecordedKeys): Record<string, string | null> | undefined {
  const annotations = host.metadata.annotations ?? {};
  const keys = keysToRecord(host, seen);
  const patch: Record<string, string | null> = {};
  if (keys.hostKey && annotations[RECORDED_HOST_KEY_ANNOTATION] !== keys.hostKey) patch[RECORDED_HOST_KEY_ANNOTATION] = keys.hostKey;
  if (keys.bastionHostKey && annotations[RECORDED_BASTION_HOST_KEY_ANNOTATION] !== keys.bastionHostKey) {
    patch[RECORDED_BASTION_HOST_KEY_ANNOTATION] = keys.bastionHostKey;
  }
  if (!host.spec.bastion && RECORDED_BASTION_HOST_KEY_ANNOTATION in annotations) patch[RECORDED_BASTION_HOST_KEY_ANNOTATION] = null;
  return Object.keys(patch).length ? patch : undefined;
}

const PINS = [RECORDED_HOST_KEY_ANNOTATION, RECORDED_BASTION_HOST_KEY_ANNOTATION];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function withoutPins(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !PINS.includes(k)));
}

/**
 * Whether an update is one this controller's own pin write makes, and nothing else beyond status: a
 * pin added where there was none, or a bastion pin removed from a host without a bastion. Such an
 * update needs no reconcile (the one that wrote it has just probed the host), so it is not queued.
 * A person removing or changing a pin (to re-pin) is not one, and is reconciled at once.
 */
export function isOwnPinWrite(old: KubernetesObject, object: KubernetesObject): boolean {
  const a = old.metadata ?? {};
  const b = object.metadata ?? {};
  if (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !same(a.labels, b.labels) ||
    !same(a.finalizers, b.finalizers) ||
    !same(withoutPins(a.annotations), withoutPins(b.annotations))
  ) {
    return false;
  }
  const hasBastion = Boolean((object as MachineHost).spec?.bastion);
  const changed = PINS.filter((k) => a.annotations?.[k] !== b.annotations?.[k]);
  return (
    changed.length > 0 &&
    changed.every((k) => {
      const before = a.annotations?.[k];
      const after = b.annotations?.[k];
      if (!before && after) return true;
      return k === RECORDED_BASTION_HOST_KEY_ANNOTATION && after === undefined && !hasBastion;
    })
  );
}

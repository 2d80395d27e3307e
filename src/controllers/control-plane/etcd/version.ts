// The etcd release each Kubernetes minor runs with, as kubeadm's SupportedEtcdVersion table pins
// it; kubesmith ships the newest patch of that etcd minor it has tested.
import { KubesmithError } from '../../../errors.ts';

const ETCD_FOR_MINOR: Readonly<Record<number, string>> = {
  34: 'v3.6.16',
  35: 'v3.6.16',
  36: 'v3.6.16',
};

export class UnsupportedVersionError extends KubesmithError {
  readonly reason = 'UnsupportedVersion';
  override readonly needsPerson = true;
}

export function etcdVersionFor(kubernetesVersion: string): string {
  const minor = Number(/^v1\.(\d+)\./.exec(kubernetesVersion)?.[1]);
  const etcd = ETCD_FOR_MINOR[minor];
  if (!etcd) {
    const known = Object.keys(ETCD_FOR_MINOR).map((m) => `v1.${m}`).join(', ');
    throw new UnsupportedVersionError(`kubesmith has no etcd release for Kubernetes ${kubernetesVersion}; use one of ${known}`);
  }
  return etcd;
}

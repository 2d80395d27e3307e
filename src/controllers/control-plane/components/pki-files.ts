// Where the components find their certificates, keys and kubeconfigs: looked up in the file layout
// the PKI phase writes, so a flag can only name a file a control-plane host actually receives. A
// name missing from the certificate set fails when this module loads, not on a host.
import { hostFileLayout, kubeadmCertificateSet, type FilePart } from '../../../pki/index.ts';

const layout = hostFileLayout(kubeadmCertificateSet, 'control-plane');

function controlPlaneFile(spec: string, part: FilePart): string {
  const slot = layout.find((s) => s.spec === spec && s.part === part);
  if (!slot) throw new Error(`control-plane hosts receive no ${part} of ${spec}; the certificate set and the component flags disagree`);
  return slot.path;
}

export const PKI_FILES = {
  ca: controlPlaneFile('ca', 'certificate'),
  caKey: controlPlaneFile('ca', 'key'),
  frontProxyCA: controlPlaneFile('front-proxy-ca', 'certificate'),
  etcdCA: controlPlaneFile('etcd/ca', 'certificate'),
  serviceAccountKey: controlPlaneFile('sa', 'key'),
  serviceAccountPublicKey: controlPlaneFile('sa', 'public-key'),
  apiServerCert: controlPlaneFile('apiserver', 'certificate'),
  apiServerKey: controlPlaneFile('apiserver', 'key'),
  apiServerKubeletClientCert: controlPlaneFile('apiserver-kubelet-client', 'certificate'),
  apiServerKubeletClientKey: controlPlaneFile('apiserver-kubelet-client', 'key'),
  apiServerEtcdClientCert: controlPlaneFile('apiserver-etcd-client', 'certificate'),
  apiServerEtcdClientKey: controlPlaneFile('apiserver-etcd-client', 'key'),
  frontProxyClientCert: controlPlaneFile('front-proxy-client', 'certificate'),
  frontProxyClientKey: controlPlaneFile('front-proxy-client', 'key'),
  controllerManagerKubeconfig: controlPlaneFile('controller-manager', 'kubeconfig'),
  schedulerKubeconfig: controlPlaneFile('scheduler', 'kubeconfig'),
} as const;

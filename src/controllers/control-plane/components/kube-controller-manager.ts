// kube-controller-manager: kubeadm's flags plus the CIS benchmark's (no profiling, a bound on
// terminated pods). It talks to the API server on its own host through its kubeconfig and serves
// only on loopback.
import { defineComponent } from './component.ts';
import { PKI_FILES as pki } from './pki-files.ts';

export const CONTROLLER_MANAGER_PORT = 10257;

export const kubeControllerManager = defineComponent({
  name: 'kube-controller-manager',
  summary: 'Kubernetes controller manager',
  healthURL: `https://127.0.0.1:${CONTROLLER_MANAGER_PORT}/healthz`,
  extraArgsField: 'controllerManager',
  after: [],
  unitType: 'simple',
  // In name order, as kubeadm writes them.
  managedFlags: (plan) => [
    ['allocate-node-cidrs', 'true'],
    ['authentication-kubeconfig', pki.controllerManagerKubeconfig],
    ['authorization-kubeconfig', pki.controllerManagerKubeconfig],
    ['bind-address', '127.0.0.1'],
    ['client-ca-file', pki.ca],
    ['cluster-cidr', plan.podCIDR],
    ['cluster-name', plan.clusterName],
    ['cluster-signing-cert-file', pki.ca],
    ['cluster-signing-key-file', pki.caKey],
    ['controllers', '*,bootstrapsigner,tokencleaner'],
    ['kubeconfig', pki.controllerManagerKubeconfig],
    ['leader-elect', 'true'],
    ['profiling', 'false'],
    ['requestheader-client-ca-file', pki.frontProxyCA],
    ['root-ca-file', pki.ca],
    ['service-account-private-key-file', pki.serviceAccountKey],
    ['service-cluster-ip-range', plan.serviceCIDR],
    ['terminated-pod-gc-threshold', '10'],
    ['use-service-account-credentials', 'true'],
  ],
});

// kube-scheduler: kubeadm's flags plus no profiling (CIS). Like the controller manager it reaches
// the API server on its own host and serves only on loopback.
import { defineComponent } from './component.ts';
import { PKI_FILES as pki } from './pki-files.ts';

export const SCHEDULER_PORT = 10259;

export const kubeScheduler = defineComponent({
  name: 'kube-scheduler',
  summary: 'Kubernetes scheduler',
  healthURL: `https://127.0.0.1:${SCHEDULER_PORT}/healthz`,
  extraArgsField: 'scheduler',
  after: [],
  unitType: 'simple',
  managedFlags: () => [
    ['authentication-kubeconfig', pki.schedulerKubeconfig],
    ['authorization-kubeconfig', pki.schedulerKubeconfig],
    ['bind-address', '127.0.0.1'],
    ['kubeconfig', pki.schedulerKubeconfig],
    ['leader-elect', 'true'],
    ['profiling', 'false'],
  ],
});

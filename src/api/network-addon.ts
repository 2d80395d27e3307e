import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { cidrField, conditions, localObjectRef, observedGeneration } from './common.ts';
import type { KindDefinition } from './kind.ts';

export const networkAddonSpec = z
  .object({
    controlPlaneRef: localObjectRef.describe('The ControlPlane whose cluster gets this pod network.'),
    provider: z
      .enum(['bridge', 'flannel'])
      .describe(
        '`bridge`: host routes and the CNI bridge plugin, managed over SSH, no images needed. `flannel`: the ' +
          "flannel manifest applied to the cluster, with images from the control plane's imageRepository.",
      ),
    flannel: z
      .object({
        backend: z.enum(['vxlan', 'host-gw']).default('vxlan').describe('flannel backend.'),
      })
      .optional()
      .describe('Options of the flannel provider.'),
    mtu: z.int().min(576).max(9000).optional().describe('MTU of pod interfaces; defaults to what the provider picks.'),
    podCIDR: cidrField('10.244.0.0/16')
      .optional()
      .describe("Pod range; defaults to the control plane's podCIDR. A different value is an error, never an override."),
  })
  .meta({
    'x-kubernetes-validations': [
      { rule: "!has(self.flannel) || self.provider == 'flannel'", message: 'flannel options need provider: flannel' },
      {
        rule: 'self.provider == oldSelf.provider',
        message:
          'provider cannot change on a running cluster: delete this NetworkAddon (its network is taken off every host), wait until it is gone, then create one with the new provider',
      },
      {
        rule: "(has(self.flannel) ? self.flannel.backend : 'vxlan') == (has(oldSelf.flannel) ? oldSelf.flannel.backend : 'vxlan')",
        message:
          'flannel.backend cannot change on a running cluster: delete this NetworkAddon (its network is taken off every host), wait until it is gone, then create one with the new backend',
      },
    ],
  })
  .describe('The pod network of one cluster.');

export const networkAddonStatus = z.object({
  observedGeneration,
  conditions,
  nodes: z.array(z.string()).optional().describe('Nodes the pod network is installed on.'),
});

export type NetworkAddonSpec = z.output<typeof networkAddonSpec>;
export type NetworkAddonStatus = z.output<typeof networkAddonStatus>;
export interface NetworkAddon {
  apiVersion: string;
  kind: 'NetworkAddon';
  metadata: V1ObjectMeta;
  spec: NetworkAddonSpec;
  status?: NetworkAddonStatus;
}

export const networkAddonKind: KindDefinition = {
  kind: 'NetworkAddon',
  plural: 'networkaddons',
  singular: 'networkaddon',
  shortNames: ['ksna'],
  description: 'The pod network of the cluster of one ControlPlane.',
  spec: networkAddonSpec,
  status: networkAddonStatus,
  printerColumns: [
    { name: 'ControlPlane', type: 'string', jsonPath: '.spec.controlPlaneRef.name' },
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

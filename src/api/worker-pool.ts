import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { conditions, extraArgs, kubernetesVersion, labelSelector, localObjectRef, observedGeneration } from './common.ts';
import type { KindDefinition } from './kind.ts';

export const workerPoolSpec = z
  .object({
    controlPlaneRef: localObjectRef.describe('The ControlPlane whose cluster these workers join.'),
    hostSelector: labelSelector.describe('Which MachineHosts in this namespace may become workers of this pool.'),
    replicas: z
      .int()
      .min(0)
      .max(10000)
      .optional()
      .describe('How many matching hosts to claim; when absent, every matching unclaimed host joins.'),
    version: kubernetesVersion.optional().describe("Kubernetes release of the workers; defaults to the control plane's."),
    kubelet: z
      .object({
        nodeLabels: z.record(z.string().max(317), z.string().max(63)).optional().describe('Labels put on each Node.'),
        taints: z
          .array(
            z.object({
              key: z.string().min(1).max(317).describe('Taint key.'),
              value: z.string().max(63).optional().describe('Taint value.'),
              effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).describe('What the taint does to pods.'),
            }),
          )
          .optional()
          .describe('Taints put on each Node when it registers.'),
        maxPods: z.int().min(1).max(2500).optional().describe('Maximum pods per Node (kubelet default 110).'),
        extraArgs,
      })
      .optional()
      .describe('kubelet settings of the workers.'),
    paused: z.boolean().default(false).describe('When true, kubesmith does not act on this pool.'),
  })
  .describe('A set of worker hosts joined to one ControlPlane.');

export const workerPoolStatus = z.object({
  observedGeneration,
  conditions,
  replicas: z.int().optional().describe('Hosts claimed.'),
  readyReplicas: z.int().optional().describe('Nodes Ready.'),
  nodes: z.array(z.string()).optional().describe('Node names of the pool.'),
});

export type WorkerPoolSpec = z.output<typeof workerPoolSpec>;
export type WorkerPoolStatus = z.output<typeof workerPoolStatus>;
export interface WorkerPool {
  apiVersion: string;
  kind: 'WorkerPool';
  metadata: V1ObjectMeta;
  spec: WorkerPoolSpec;
  status?: WorkerPoolStatus;
}

export const workerPoolKind: KindDefinition = {
  kind: 'WorkerPool',
  plural: 'workerpools',
  singular: 'workerpool',
  shortNames: ['kswp'],
  description: 'A set of worker hosts joined to the cluster of one ControlPlane.',
  spec: workerPoolSpec,
  status: workerPoolStatus,
  printerColumns: [
    { name: 'ControlPlane', type: 'string', jsonPath: '.spec.controlPlaneRef.name' },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

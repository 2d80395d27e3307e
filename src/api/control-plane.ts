import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  cidrField,
  conditions,
  extraArgs,
  kubernetesVersion,
  labelSelector,
  localObjectRef,
  observedGeneration,
} from './common.ts';
import type { KindDefinition } from './kind.ts';

const cidrsDisjoint =
  '!isCIDR(self.podCIDR) || !isCIDR(self.serviceCIDR) || ' +
  '!(cidr(self.podCIDR).containsCIDR(cidr(self.serviceCIDR)) || cidr(self.serviceCIDR).containsCIDR(cidr(self.podCIDR)))';

// Kubernetes supports upgrading the control plane one minor release at a time and never
// downgrading it. Compared with split() and int() rather than the semver library, which CRD rules
// may use only on API servers from 1.34 on (Kubernetes semver library, 1.33, and new rules compile
// against the previous minor's environment); the rest of this CRD works from 1.31. A value that is
// not a version is left to the pattern, which reports it.
const versionPart = (v: string, i: number) => `int(${v}.split('.')[${i}])`;
const versionStep =
  "[self, oldSelf].exists(v, !v.matches('^v[0-9]+[.][0-9]+[.][0-9]+$')) || " +
  "(self.split('.')[0] == oldSelf.split('.')[0] && " +
  `(${versionPart('self', 1)} == ${versionPart('oldSelf', 1)} ` +
  `? ${versionPart('self', 2)} >= ${versionPart('oldSelf', 2)} ` +
  `: ${versionPart('self', 1)} == ${versionPart('oldSelf', 1)} + 1))`;
const versionStepMessage = 'may move up by one minor at a time and never down';

export const clusterNetworkSchema = z
  .object({
    podCIDR: cidrField('10.244.0.0/16').default('10.244.0.0/16').describe('Range pod IPs are taken from.'),
    serviceCIDR: cidrField('10.96.0.0/12').default('10.96.0.0/12').describe('Range Service IPs are taken from.'),
    dnsDomain: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS domain such as cluster.local')
      .default('cluster.local')
      .describe('DNS domain of Services.'),
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: cidrsDisjoint,
        message: 'podCIDR and serviceCIDR must not overlap; pick ranges such as 10.244.0.0/16 and 10.96.0.0/12',
        fieldPath: '.podCIDR',
      },
      {
        rule: 'self == oldSelf',
        message: 'clusterNetwork cannot change once the cluster exists; create a new ControlPlane instead',
      },
    ],
  })
  .describe('Address ranges and DNS domain of the cluster. Fixed once the cluster exists.');

export const controlPlaneSpec = z
  .object({
    version: kubernetesVersion
      .meta({
        'x-kubernetes-validations': [
          {
            rule: versionStep,
            message: `${versionStepMessage}, as Kubernetes supports`,
            // format(), not + string(...): the cost estimate of a concatenated string() has no bound.
            messageExpression:
              `'${versionStepMessage}: from %s go to %s.%d.x at most'` +
              ".format([oldSelf, oldSelf.split('.')[0], int(oldSelf.split('.')[1]) + 1])",
          },
        ],
      })
      .describe('Kubernetes release to run, such as v1.36.3. May move up by one minor release at a time, never down.'),
    hostSelector: labelSelector.describe('Which MachineHosts in this namespace may become control-plane members.'),
    replicas: z
      .int()
      .min(1)
      .max(7)
      .default(1)
      .meta({
        'x-kubernetes-validations': [
          { rule: 'self % 2 == 1', message: 'must be odd (1, 3, 5 or 7) so that etcd keeps a quorum' },
        ],
      })
      .describe('Number of control-plane members; odd, so that etcd keeps a quorum.'),
    endpoint: z
      .object({
        host: z.string().min(1).max(253).describe('IP address or DNS name of the VIP or load balancer.'),
        port: z.int().min(1).max(65535).default(6443).describe('Port of the API server behind it.'),
      })
      .optional()
      .describe('Where clients reach the API server; defaults to the first control-plane host on port 6443.'),
    clusterNetwork: clusterNetworkSchema.default({
      podCIDR: '10.244.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      dnsDomain: 'cluster.local',
    }),
    artifacts: z
      .object({
        baseURL: z
          .string()
          .max(2048)
          .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL such as https://mirror.example.com/kubernetes')
          .optional()
          .describe(
            'Base URL of a mirror laid out like the upstream release downloads. kubesmith downloads each artifact ' +
              'once, checks its SHA-256 and pushes it to hosts over SSH, so hosts need no route to it.',
          ),
        checksumPolicy: z
          .enum(['Required', 'Skip'])
          .default('Required')
          .describe('Required refuses any artifact whose published SHA-256 is missing or differs.'),
      })
      .default({ checksumPolicy: 'Required' })
      .describe('Where binaries come from.'),
    imageRepository: z
      .string()
      .min(1)
      .max(512)
      .default('registry.k8s.io')
      .describe('Registry and path prefix for control-plane images such as pause and CoreDNS; may be a private mirror.'),
    registryMirrors: z
      .array(
        z.object({
          registry: z.string().min(1).max(512).describe('Registry to mirror, for example `docker.io`.'),
          endpoints: z.array(z.string().min(1).max(2048)).min(1).describe('Mirror endpoints tried in order.'),
        }),
      )
      .optional()
      .describe('Mirrors the container runtime uses for pulls, for registries that cannot be reached.'),
    certificates: z
      .object({
        validityDays: z.int().min(1).max(3650).default(365).describe('Validity of leaf certificates in days.'),
        caValidityDays: z.int().min(1).max(36500).default(3650).describe('Validity of generated CAs in days.'),
        keyAlgorithm: z.enum(['RSA2048', 'ECDSAP256']).default('RSA2048').describe('Key algorithm for new keys.'),
        caSecretRef: localObjectRef
          .optional()
          .describe('A Secret with `tls.crt` and `tls.key` of an existing cluster CA to use instead of generating one.'),
      })
      .default({ validityDays: 365, caValidityDays: 3650, keyAlgorithm: 'RSA2048' })
      .describe('How certificates are made.'),
    apiServer: z.object({ extraArgs }).optional().describe('kube-apiserver settings.'),
    controllerManager: z.object({ extraArgs }).optional().describe('kube-controller-manager settings.'),
    scheduler: z.object({ extraArgs }).optional().describe('kube-scheduler settings.'),
    kubelet: z.object({ extraArgs }).optional().describe('kubelet settings on control-plane hosts.'),
    kubeProxy: z
      .object({
        mode: z.enum(['iptables', 'ipvs', 'nftables']).default('iptables').describe('kube-proxy mode.'),
      })
      .default({ mode: 'iptables' })
      .describe('kube-proxy settings.'),
    etcd: z
      .object({
        dataDir: z
          .string()
          .max(1024)
          .regex(/^\/[^\s]*$/, 'must be an absolute path such as /var/lib/etcd')
          .default('/var/lib/etcd')
          .describe('Data directory on each control-plane host; created with mode 0700.'),
        extraArgs,
      })
      .default({ dataDir: '/var/lib/etcd' })
      .describe('etcd settings.'),
    paused: z.boolean().default(false).describe('When true, kubesmith does not act on this cluster.'),
  })
  .describe('The control plane of one cluster and its cluster-wide settings.');

export const controlPlaneStatus = z.object({
  observedGeneration,
  conditions,
  version: z.string().optional().describe('Kubernetes version all members run.'),
  replicas: z.int().optional().describe('Members claimed.'),
  readyReplicas: z.int().optional().describe('Members whose components are healthy.'),
  endpoint: z.string().optional().describe('host:port at which the API server is reached.'),
  kubeconfigSecretRef: localObjectRef.optional().describe('Secret holding an admin kubeconfig under `value`.'),
  etcdMembers: z
    .array(
      z.object({
        name: z.string().describe('etcd member name.'),
        host: z.string().describe('MachineHost the member runs on.'),
        peerURL: z.string().optional().describe('URL other members reach it at.'),
        learner: z.boolean().optional().describe('Whether the member is a learner not yet promoted to voter.'),
        healthy: z.boolean().describe('Whether the member answered its health check.'),
      }),
    )
    .optional()
    .describe('etcd members and their health.'),
  etcdClusterID: z
    .string()
    .optional()
    .describe('ID of the etcd cluster, recorded once it formed; a member that answers for another cluster is never trusted.'),
  certificates: z
    .array(
      z.object({
        name: z.string().describe('Certificate name, for example `apiserver`.'),
        host: z.string().optional().describe('Host the certificate belongs to, for per-host certificates.'),
        notAfter: z.string().describe('Expiry (RFC 3339).'),
      }),
    )
    .optional()
    .describe('Certificate expiry dates.'),
});

export type ControlPlaneSpec = z.output<typeof controlPlaneSpec>;
export type ControlPlaneStatus = z.output<typeof controlPlaneStatus>;
export interface ControlPlane {
  apiVersion: string;
  kind: 'ControlPlane';
  metadata: V1ObjectMeta;
  spec: ControlPlaneSpec;
  status?: ControlPlaneStatus;
}

export const controlPlaneKind: KindDefinition = {
  kind: 'ControlPlane',
  plural: 'controlplanes',
  singular: 'controlplane',
  shortNames: ['kscp'],
  description: 'The control plane of one Kubernetes cluster and its cluster-wide settings; the root object of a cluster.',
  spec: controlPlaneSpec,
  status: controlPlaneStatus,
  printerColumns: [
    { name: 'Version', type: 'string', jsonPath: '.spec.version' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
    { name: 'Available', type: 'string', jsonPath: '.status.conditions[?(@.type=="Available")].status' },
    // The roll-up's reason names the root cause (a checksum mismatch, waiting for hosts), wherever it is.
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

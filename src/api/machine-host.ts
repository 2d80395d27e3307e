import { z } from 'zod';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { conditions, localObjectRef, observedGeneration, secretKeyRef } from './common.ts';
import type { KindDefinition } from './kind.ts';

const hostKeyLine = z
  .string()
  .max(16384)
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/,
    'must be a public key line as in known_hosts or /etc/ssh/ssh_host_*_key.pub, such as "ssh-ed25519 AAAA..."',
  );

const address = z.string().min(1).max(253);
const port = z.int().min(1).max(65535).default(22).describe('SSH port.');

export const bastionSchema = z
  .object({
    address: address.describe('IP address or DNS name of the jump host.'),
    port,
    user: z.string().min(1).max(64).describe('User to log in as on the jump host.'),
    sshKeySecretRef: secretKeyRef
      .optional()
      .describe('Private key for the jump host; defaults to the host key of the MachineHost itself.'),
    hostKey: hostKeyLine
      .optional()
      .describe(
        'Pinned public host key of the jump host; when absent the first key seen is recorded in the annotation ' +
          '`kubesmith.io/recorded-bastion-host-key` and pinned.',
      ),
  })
  .describe('A jump host through which the machine is reached. Given whole (address and user) or not at all.');

export const machineHostSpec = z
  .object({
    address: address.describe('IP address or DNS name at which the machine is reachable over SSH.'),
    port,
    user: z
      .string()
      .min(1)
      .max(64)
      .describe('User to log in as. When not root it must have passwordless sudo (`sudo -n`).'),
    sshKeySecretRef: secretKeyRef.describe('The private key (OpenSSH or PEM) used to log in.'),
    hostKey: hostKeyLine
      .optional()
      .describe(
        'Pinned public host key line. When absent, the key seen at first contact is recorded in the annotation ' +
          '`kubesmith.io/recorded-host-key` and pinned from then on (remove the annotation to record again); a ' +
          'changed key is refused, never accepted silently. Wins over a recorded key.',
      ),
    bastion: bastionSchema.optional(),
    hostname: z
      .string()
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label such as "node-1"')
      .optional()
      .describe('Hostname to set on the machine and Node name in the cluster; defaults to metadata.name.'),
    internalIP: z
      .string()
      .max(64)
      .meta({ 'x-kubernetes-validations': [{ rule: 'isIP(self)', message: 'must be an IPv4 or IPv6 address' }] })
      .optional()
      .describe('Address other cluster members use to reach this machine; defaults to the address of its default route.'),
    paused: z.boolean().default(false).describe('When true, kubesmith does not touch the machine.'),
  })
  .describe('How to reach one machine and how it should be prepared.');

export const hostFactsSchema = z
  .object({
    os: z
      .object({
        id: z.string().describe('ID from /etc/os-release, for example `debian`.'),
        versionId: z.string().optional().describe('VERSION_ID from /etc/os-release.'),
        prettyName: z.string().optional().describe('PRETTY_NAME from /etc/os-release.'),
      })
      .optional()
      .describe('Operating system, from /etc/os-release.'),
    kernel: z.string().optional().describe('Kernel release (`uname -r`).'),
    arch: z.string().optional().describe('Machine architecture in Go/OCI terms, for example `amd64`.'),
    cpus: z.int().optional().describe('Number of online CPUs.'),
    memoryBytes: z.int().optional().describe('Total memory in bytes.'),
    productUUID: z.string().optional().describe('DMI product_uuid; must be unique among hosts. Absent where the machine has no DMI.'),
    machineID: z.string().optional().describe('/etc/machine-id; must be unique among hosts.'),
    hostname: z.string().optional().describe('Hostname the machine reported.'),
    macAddresses: z.array(z.string()).optional().describe('MAC addresses of physical-looking interfaces.'),
    cgroupVersion: z.int().optional().describe('1 or 2.'),
    container: z
      .string()
      .optional()
      .describe(
        'Container technology the host runs in (`systemd-detect-virt --container`), for example `docker`; absent on a ' +
          'machine. A node in a container gets the settings containers need (see the README), a machine never does.',
      ),
    swapBytes: z.int().optional().describe('Active swap in bytes.'),
    clockOffsetMilliseconds: z.int().optional().describe("Host clock minus the operator's clock."),
    containerRuntime: z
      .object({
        name: z.string().describe('Runtime name, for example `containerd`.'),
        version: z.string().optional().describe('Runtime version.'),
      })
      .optional()
      .describe('Container runtime found on the host, if any.'),
  })
  .describe('What kubesmith found on the machine at the last check.');

export const machineHostStatus = z.object({
  observedGeneration,
  conditions,
  hostKey: z
    .string()
    .optional()
    .describe(
      'Where versions before the annotation `kubesmith.io/recorded-host-key` kept the recorded host key (and ' +
        'where it stays while that annotation cannot be written); moved into the annotation at the next reconcile.',
    ),
  hostKeyFingerprint: z.string().optional().describe('SHA-256 fingerprint of the pinned host key, as seen at the last connection.'),
  bastionHostKey: z
    .string()
    .optional()
    .describe(
      'Where versions before the annotation `kubesmith.io/recorded-bastion-host-key` kept the recorded bastion host ' +
        'key; moved into the annotation at the next reconcile.',
    ),
  facts: hostFactsSchema.optional(),
  consumerRef: localObjectRef
    .extend({ kind: z.enum(['ControlPlane', 'WorkerPool']).describe('Kind of the claiming object.') })
    .optional()
    .describe('The ControlPlane or WorkerPool that has claimed this machine.'),
});

export type MachineHostSpec = z.output<typeof machineHostSpec>;
export type MachineHostStatus = z.output<typeof machineHostStatus>;
export interface MachineHost {
  apiVersion: string;
  kind: 'MachineHost';
  metadata: V1ObjectMeta;
  spec: MachineHostSpec;
  status?: MachineHostStatus;
}

const readyCondition = (field: string) => `.status.conditions[?(@.type=="Ready")].${field}`;

export const machineHostKind: KindDefinition = {
  kind: 'MachineHost',
  plural: 'machinehosts',
  singular: 'machinehost',
  shortNames: ['mh'],
  description: 'One machine that kubesmith reaches over SSH, checks and prepares to become a Kubernetes node.',
  spec: machineHostSpec,
  status: machineHostStatus,
  printerColumns: [
    { name: 'Address', type: 'string', jsonPath: '.spec.address' },
    { name: 'OS', type: 'string', jsonPath: '.status.facts.os.prettyName' },
    { name: 'Ready', type: 'string', jsonPath: readyCondition('status') },
    { name: 'Reason', type: 'string', jsonPath: readyCondition('reason') },
    { name: 'Consumer', type: 'string', jsonPath: '.status.consumerRef.name', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};

import { z } from 'zod';

export const GROUP = 'kubesmith.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A Kubernetes object name (DNS-1123 subdomain length). */
export const objectName = z.string().min(1).max(253);

export const secretKeyRef = z
  .object({
    name: objectName.describe('Name of a Secret in the same namespace.'),
    key: z.string().min(1).max(253).describe('Key within the Secret, for example `ssh-privatekey`.'),
  })
  .describe('A key in a Secret in the same namespace.');

export const localObjectRef = z
  .object({ name: objectName.describe('Name of the object in the same namespace.') })
  .describe('A reference to an object in the same namespace.');

export const labelSelector = z
  .object({
    matchLabels: z
      .record(z.string(), z.string())
      .optional()
      .describe('Labels that must all be present with these values.'),
    matchExpressions: z
      .array(
        z.object({
          key: z.string().min(1).max(317).describe('The label key.'),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']).describe('How the key relates to the values.'),
          values: z
            .array(z.string().max(63))
            .optional()
            .describe('Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
        }),
      )
      .optional()
      .describe('Label expressions that must all match.'),
  })
  .describe('A label selector over MachineHosts in the same namespace, as in Kubernetes workloads.');

export const kubernetesVersion = z
  .string()
  .max(32)
  .regex(/^v1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/, 'must be a Kubernetes release such as v1.36.3');

export const extraArgs = z
  .record(z.string().max(128), z.string().max(4096))
  .optional()
  .describe(
    'Extra command-line flags, without the leading dashes, for example `{"v": "2"}`. Flags that kubesmith ' +
      'manages itself are reported as a conflict rather than silently overridden.',
  );

export const conditionSchema = z.object({
  type: z.string().min(1).max(316).describe('Type of condition in CamelCase, for example `Ready`.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('True means good, False bad, Unknown not yet known.'),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('The metadata.generation the condition was set from.'),
  lastTransitionTime: z.string().describe('When the status last changed (RFC 3339).'),
  reason: z.string().min(1).max(1024).describe('A CamelCase constant explaining the status.'),
  message: z.string().max(32768).describe('What is happening, or what to do, in words for a person.'),
});

export const conditions = z
  .array(conditionSchema)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .optional()
  .describe('The latest observations of the object, following metav1.Condition.');

export const observedGeneration = z
  .int()
  .min(0)
  .optional()
  .describe('The metadata.generation the controller last reconciled successfully.');

/** CEL rule checking that a string field holds a CIDR; used where a field may hold one. */
export const cidrField = (example: string) =>
  z
    .string()
    .max(64)
    .meta({
      'x-kubernetes-validations': [
        { rule: 'isCIDR(self)', message: `must be a CIDR such as ${example}` },
        {
          rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
          message: 'must not have host bits set; use the network address, for example ' + example,
        },
      ],
    });

export type Condition = z.infer<typeof conditionSchema>;

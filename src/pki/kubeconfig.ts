// kubeconfig files, laid out as kubeadm writes them, with certificates embedded so each file stands
// alone on a host or in a Secret.
import { parse, stringify } from 'yaml';
import type { Authority } from './authority.ts';
import { InvalidKubeconfigError } from './errors.ts';
import { isIpAddress } from './ip.ts';
import type { IssuedCertificate } from './issue.ts';
import type { CertificateSpec, ClusterScope, HostScope } from './spec.ts';

export const DEFAULT_API_SERVER_PORT = 6443;

export interface KubeconfigInput {
  clusterName: string;
  server: string;
  caCertPem: string;
  userName: string;
  clientCertPem: string;
  clientKeyPem: string;
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** `https://host:port`, with an IPv6 address in brackets. */
export function apiServerURL(host: string, port: number): string {
  const bracketed = isIpAddress(host) && host.includes(':') ? `[${host}]` : host;
  return `https://${bracketed}:${port}`;
}

export function buildKubeconfig(input: KubeconfigInput): string {
  const context = `${input.userName}@${input.clusterName}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: input.clusterName,
        cluster: { 'certificate-authority-data': base64(input.caCertPem), server: input.server },
      },
    ],
    contexts: [{ name: context, context: { cluster: input.clusterName, user: input.userName } }],
    'current-context': context,
    preferences: {},
    users: [
      {
        name: input.userName,
        user: { 'client-certificate-data': base64(input.clientCertPem), 'client-key-data': base64(input.clientKeyPem) },
      },
    ],
  };
  return stringify(config, { lineWidth: 0 });
}

/**
 * The server a kubeconfig certificate talks to: the cluster endpoint, or, for controller-manager
 * and scheduler as in kubeadm, the API server on their own host, so they keep working while the
 * load balancer is down.
 */
export function kubeconfigServer(spec: CertificateSpec, scope: ClusterScope | HostScope): string {
  const { cluster } = scope;
  if (spec.output.type === 'kubeconfig' && spec.output.server === 'local' && 'host' in scope && scope.host.ips[0]) {
    return apiServerURL(scope.host.ips[0], cluster.apiServerPort ?? DEFAULT_API_SERVER_PORT);
  }
  return apiServerURL(cluster.endpoint.host, cluster.endpoint.port);
}

/** The kubeconfig of an issued client certificate; its user is the certificate's common name. */
export function kubeconfigFor(issued: IssuedCertificate, authority: Authority, scope: ClusterScope | HostScope): string {
  return buildKubeconfig({
    clusterName: scope.cluster.name,
    server: kubeconfigServer(issued.spec, scope),
    caCertPem: authority.certPem,
    userName: issued.certificate.subjectName.getField('CN')[0] ?? issued.spec.name,
    clientCertPem: issued.certPem,
    clientKeyPem: issued.keyPem,
  });
}

/** What a kubeconfig file holds, for checking one found on a host. */
export interface KubeconfigContent {
  server: string;
  caCertPem: string;
  userName: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** Reads the current context's cluster and user; throws InvalidKubeconfigError naming what is absent. */
export function readKubeconfig(text: string, source = 'kubeconfig'): KubeconfigContent {
  let config: RawKubeconfig;
  try {
    config = (parse(text) ?? {}) as RawKubeconfig;
  } catch (error) {
    throw new InvalidKubeconfigError(`${source} is not YAML`, { cause: error });
  }
  const context = config.contexts?.find((c) => c.name === config['current-context'])?.context;
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === context?.user);
  const fields = {
    server: cluster?.server,
    'certificate-authority-data': cluster?.['certificate-authority-data'],
    'client-certificate-data': user?.user?.['client-certificate-data'],
    'client-key-data': user?.user?.['client-key-data'],
  };
  const absent = Object.entries(fields).filter(([, value]) => typeof value !== 'string').map(([name]) => name);
  if (absent.length > 0 || !user?.name) {
    throw new InvalidKubeconfigError(
      `${source}: the current context lacks ${absent.join(', ') || 'a user name'}; ` +
        'expected embedded certificates as kubesmith writes them',
    );
  }
  const decode = (value: string | undefined) => Buffer.from(value!, 'base64').toString('utf8');
  return {
    server: fields.server!,
    caCertPem: decode(fields['certificate-authority-data']),
    userName: user.name,
    clientCertPem: decode(fields['client-certificate-data']),
    clientKeyPem: decode(fields['client-key-data']),
  };
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: { name?: string; cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  users?: { name?: string; user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

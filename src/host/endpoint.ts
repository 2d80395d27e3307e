/** Where and as whom to log in, as a MachineHost spec (or its bastion) and its key Secret say. */
export interface Endpoint {
  address: string;
  port?: number;
  user: string;
  /** OpenSSH or PEM private key, without a passphrase, as read from the Secret. */
  privateKey: string | Buffer;
  /** Pinned public host key line; when absent the key seen is accepted and reported for pinning. */
  hostKey?: string;
}

export interface HostTarget extends Endpoint {
  bastion?: Endpoint;
}

export function endpointLabel(e: Pick<Endpoint, 'address' | 'port' | 'user'>): string {
  const address = e.address.includes(':') ? `[${e.address}]` : e.address;
  return `${e.user}@${address}:${e.port ?? 22}`;
}

export function targetLabel(t: HostTarget): string {
  return t.bastion ? `${endpointLabel(t)} via ${endpointLabel(t.bastion)}` : endpointLabel(t);
}

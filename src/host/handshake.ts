import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { endpointLabel, type Endpoint } from './endpoint.ts';
import { AuthenticationFailedError, HostKeyMismatchError, HostUnreachableError, type HostError } from './errors.ts';
import { hostKeyAlgorithmsFor, hostKeyFromBlob, parseHostKeyLine, type HostKey } from './host-key.ts';

export interface HandshakeOptions {
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** An already open stream to the server, such as a channel forwarded by a bastion. */
  sock?: Duplex;
}

export interface Handshaken {
  client: Client;
  hostKey: HostKey;
}

/** Connects and authenticates one hop, refusing a host key that differs from the pinned one. */
export async function handshake(endpoint: Endpoint, options: HandshakeOptions): Promise<Handshaken> {
  const label = endpointLabel(endpoint);
  const pinned = endpoint.hostKey ? parseHostKeyLine(endpoint.hostKey) : undefined;
  const client = new Client();
  let seen: HostKey | undefined;

  const config: ConnectConfig = {
    host: endpoint.address,
    port: endpoint.port ?? 22,
    username: endpoint.user,
    privateKey: endpoint.privateKey,
    readyTimeout: options.readyTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax,
    // Only public key authentication: a password or keyboard prompt must never be tried.
    authHandler: ['publickey'],
    hostVerifier: (blob: Buffer) => {
      seen = hostKeyFromBlob(blob);
      return pinned === undefined || seen.blob.equals(pinned.blob);
    },
  };
  if (options.sock) config.sock = options.sock;
  if (pinned) {
    config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(pinned.type) as ServerHostKeyAlgorithm[] };
  }

  return new Promise<Handshaken>((resolve, reject) => {
    let settled = false;
    const fail = (error: HostError) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.end();
      reject(error);
    };
    // A server that hangs up before the handshake ends may do so without an error event.
    const onEarlyClose = () =>
      fail(new HostUnreachableError(label, `${label} closed the connection during the SSH handshake; check that sshd runs there`));
    client.once('close', onEarlyClose);
    client.once('ready', () => {
      client.removeListener('close', onEarlyClose);
      client.removeAllListeners('error');
      // Later errors (a dropped link, a missed keepalive) surface through 'close' and failed channels.
      client.on('error', () => {});
      settled = true;
      resolve({ client, hostKey: seen as HostKey });
    });
    client.on('error', (err: Error & { level?: string }) => fail(handshakeError(endpoint, pinned, seen, err)));
    try {
      client.connect(config);
      // Each command is a handful of small packets; Nagle's algorithm would hold each one back.
      client.setNoDelay(true);
    } catch (err) {
      // ssh2 throws synchronously on a private key it cannot parse.
      fail(
        new AuthenticationFailedError(
          label,
          `the private key for ${label} cannot be used (${(err as Error).message}); the Secret must hold an ` +
            'unencrypted OpenSSH or PEM private key',
          { cause: err },
        ),
      );
    }
  });
}

function handshakeError(
  endpoint: Endpoint,
  pinned: HostKey | undefined,
  seen: HostKey | undefined,
  err: Error & { level?: string },
): HostError {
  const label = endpointLabel(endpoint);
  if (pinned && seen && !seen.blob.equals(pinned.blob)) return new HostKeyMismatchError(label, pinned.fingerprint, seen);
  if (pinned && !seen && /no matching host key/i.test(err.message)) {
    return new HostKeyMismatchError(label, pinned.fingerprint, undefined, { cause: err });
  }
  if (err.level === 'client-authentication') {
    return new AuthenticationFailedError(
      label,
      `${label} refused the private key; put its public key in ~${endpoint.user}/.ssh/authorized_keys ` +
        'on the machine or fix the key in the Secret',
      { cause: err },
    );
  }
  return new HostUnreachableError(label, `cannot reach SSH at ${label}: ${err.message}; check the address, port and firewall`, {
    cause: err,
  });
}

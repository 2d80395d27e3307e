// HTTPS requests to a cluster's own API (or a component's health port) over a stream the caller
// opened, in practice an SSH tunnel to a control-plane host: the management cluster needs no route to
// the new cluster, only port 22. TLS runs end to end over the tunnel, verified against the cluster CA.
import { request } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { KubesmithError } from '../errors.ts';

export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

export interface TunnelRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  contentType?: string;
  /**
   * The CA the server's certificate must chain to, and the name (DNS or IP) it must carry. Without a
   * CA the server is not verified, which is only acceptable for a health endpoint that gets no
   * credentials (kube-controller-manager and kube-scheduler serve self-signed certificates).
   */
  verify?: { caPem: string; serverName: string };
  identity?: ClientIdentity;
  timeoutMs?: number;
}

export interface TunnelResponse {
  status: number;
  body: string;
}

/** A cluster API that could not be reached, or answered with a TLS or HTTP failure. */
export class ClusterApiError extends KubesmithError {
  readonly reason = 'ClusterApiUnreachable';
}

export function sendOverTunnel(stream: Duplex, req: TunnelRequest): Promise<TunnelResponse> {
  if (req.identity && !req.verify) {
    return Promise.reject(new ClusterApiError(`refusing to send credentials for ${req.path} to a server that is not verified`));
  }
  const { verify } = req;
  const socket = connect({
    socket: stream,
    ...(verify
      ? {
          ca: verify.caPem,
          ...(isIP(verify.serverName) ? {} : { servername: verify.serverName }),
          checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(verify.serverName, cert),
        }
      : { rejectUnauthorized: false }),
    ...(req.identity ? { cert: req.identity.certPem, key: req.identity.keyPem } : {}),
  });
  const payload = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(new ClusterApiError(`${req.method} ${req.path} over the SSH tunnel failed: ${error.message}`, { cause: error }));
    const outgoing = request(
      {
        method: req.method,
        path: req.path,
        host: verify?.serverName ?? 'localhost',
        // No agent: with one, Node ignores createConnection and dials host:port itself.
        createConnection: () => socket,
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': req.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          socket.end();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    outgoing.setTimeout(req.timeoutMs ?? 15_000, () => outgoing.destroy(new Error(`no answer within ${req.timeoutMs ?? 15_000} ms`)));
    outgoing.on('error', fail);
    socket.on('error', (error) => outgoing.destroy(error));
    outgoing.end(payload);
  });
}

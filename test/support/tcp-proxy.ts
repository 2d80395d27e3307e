// A loopback TCP proxy that a test can cut, to drop a client's connections (a watch, say) while the
// server stays up, or stall, to make the server look like it went silent behind a network that drops
// packets: connections stay open and nothing comes back, so clients wait for their own timeouts.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  port = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private stalled = false;

  constructor(targetPort: number, targetHost = '127.0.0.1') {
    this.server = createServer((client) => this.accept(client, targetPort, targetHost));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  private accept(client: Socket, targetPort: number, targetHost: string) {
    if (this.refusing) {
      client.destroy();
      return;
    }
    if (this.stalled) {
      this.hold(client);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private hold(socket: Socket) {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    socket.pause();
  }

  /** Drops every open connection and refuses new ones until resume(). */
  cut(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Passes nothing more either way, on open connections or new ones, until resume(); nothing is closed. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  resume(): void {
    this.refusing = false;
    if (this.stalled) {
      this.stalled = false;
      // What was held is out of step with the other side; the clients reconnect.
      for (const s of this.sockets) s.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// A TCP proxy on loopback that a test can cut: pass traffic through, refuse
// new connections, swallow them (accept and never answer), or drop every open
// connection at once, to play a server that goes away.
import { type Server, type Socket, connect, createServer } from 'node:net';

export class CutProxy {
  mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;

  constructor(private readonly upstreamPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      this.connections++;
      if (this.mode === 'refuse') {
        client.destroy();
        return;
      }
      this.track(client);
      if (this.mode === 'blackhole') return;
      const upstream = connect(this.upstreamPort, '127.0.0.1');
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  get open(): number {
    return this.sockets.size;
  }

  /** Drops every open connection. */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}

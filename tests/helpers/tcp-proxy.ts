import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** How the proxy slows client → server traffic (a slow database). */
export interface ProxyDelay {
  /** Extra milliseconds before a delayed chunk is forwarded (the chunks after it on that connection wait behind it). */
  ms: number;
  /** Only chunks containing these bytes are delayed (e.g. the PostgreSQL simple query `COMMIT\0`: a slow fsync). */
  match?: Buffer;
}

/**
 * A loopback TCP proxy a test or drill controls, to cut a service's database connection or slow it down without touching
 * the server. Order is kept per connection: a delayed chunk holds back the ones behind it, as a slow server would.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private open = true;
  private delay: ProxyDelay | null = null;
  private readonly targetHost: string;
  private readonly targetPort: number;

  constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  async start(): Promise<number> {
    this.server = createServer((client) => {
      if (!this.open) return client.destroy();
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      this.forward(client, upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as AddressInfo).port;
  }

  /** Client → server, through the delay rule in force when each chunk arrives. */
  private forward(client: Socket, upstream: Socket): void {
    let releaseAt = 0;
    client.on('data', (chunk: Buffer) => {
      const d = this.delay;
      const now = Date.now();
      const wait = d && (!d.match || chunk.includes(d.match)) ? d.ms : 0;
      releaseAt = Math.max(releaseAt, now + wait);
      if (releaseAt <= now) {
        upstream.write(chunk);
        return;
      }
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, releaseAt - now);
    });
  }

  /** Drops every live connection and refuses new ones. */
  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.open = true;
  }

  /** Slows matching client → server traffic from now on (null: full speed again). */
  setDelay(delay: ProxyDelay | null): void {
    this.delay = delay;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

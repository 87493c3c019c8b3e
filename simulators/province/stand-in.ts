/**
 * A local stand-in for the province's systems, for tests and demos: an NGSI-LD context broker that takes batch
 * upserts (and records every receipt, so a test can tell deliveries from duplicates), a file server for bulletin
 * audio, and the province radio system's client that sends bulletins to a ward. It can be taken down and brought
 * back on the same port, to be really unreachable for a while.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StoredEntity {
  id: string;
  type: string;
  body: Record<string, unknown>;
  /** Distinct contents received for this id (a redelivered identical body adds none). */
  versions: Set<string>;
  /** Times the id arrived in an upsert (duplicates included). */
  receipts: number;
}

export interface StandInOptions {
  /** Bearer token the context broker requires; empty: none. */
  token?: string;
  host?: string;
}

const hashOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

export class ProvinceStandIn {
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly o: StandInOptions;
  private port = 0;
  readonly entities = new Map<string, StoredEntity>();
  readonly audio = new Map<string, Buffer>();
  /** Upsert requests received (while up), and those refused for a bad token. */
  requests = 0;
  unauthorized = 0;
  /** Process the next N upserts but drop the connection before answering (the answer is lost: the sender retries). */
  loseAnswers = 0;

  constructor(o: StandInOptions = {}) {
    this.o = o;
  }

  get url(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.port}`;
  }

  get up(): boolean {
    return this.server !== null;
  }

  async start(port = this.port): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.o.host ?? '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down for real: the listener closes and open connections are cut (clients get ECONNREFUSED / resets). */
  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Serves a bulletin file at /audio/<name>; returns its URL and sha256. */
  addAudio(name: string, bytes: Buffer): { url: string; sha256: string } {
    this.audio.set(name, bytes);
    return { url: `${this.url}/audio/${name}`, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  ofType(type: string): StoredEntity[] {
    return [...this.entities.values()].filter((e) => e.type === type);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname.startsWith('/audio/')) {
      const f = this.audio.get(url.pathname.slice(7));
      if (!f) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': f.length }).end(f);
    }
    if (req.method === 'GET' && url.pathname.startsWith('/ngsi-ld/v1/entities/')) {
      const e = this.entities.get(decodeURIComponent(url.pathname.slice('/ngsi-ld/v1/entities/'.length)));
      if (!e)
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', title: 'not found' }));
      return void res.writeHead(200, { 'content-type': 'application/ld+json' }).end(JSON.stringify(e.body));
    }
    if (req.method !== 'POST' || url.pathname !== '/ngsi-ld/v1/entityOperations/upsert') return void res.writeHead(404).end();
    if (this.o.token && req.headers.authorization !== `Bearer ${this.o.token}`) {
      this.unauthorized++;
      return void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ title: 'unauthorized' }));
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let list: unknown;
    try {
      list = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return void res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'https://uri.etsi.org/ngsi-ld/errors/InvalidRequest', title: 'not JSON' }));
    }
    if (!Array.isArray(list)) return void res.writeHead(400).end();
    this.requests++;
    const success: string[] = [];
    const errors: { entityId: string; error: { type: string; title: string; status: number } }[] = [];
    for (const item of list as Record<string, unknown>[]) {
      const id = item.id;
      const type = item.type;
      if (typeof id !== 'string' || !id.startsWith('urn:ngsi-ld:') || typeof type !== 'string') {
        errors.push({
          entityId: String(id),
          error: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', title: 'id must be a urn:ngsi-ld: URI and type a string', status: 400 },
        });
        continue;
      }
      const cur = this.entities.get(id) ?? { id, type, body: {}, versions: new Set<string>(), receipts: 0 };
      cur.receipts++;
      cur.versions.add(hashOf(item));
      cur.body = { ...cur.body, ...item };
      this.entities.set(id, cur);
      success.push(id);
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      req.socket.destroy();
      return;
    }
    if (!errors.length) return void res.writeHead(204).end();
    res.writeHead(207, { 'content-type': 'application/json' }).end(JSON.stringify({ success, errors }));
  }

  /** The province radio system sending a bulletin to a ward's inbound API. */
  static async sendBulletin(wardBaseUrl: string, token: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await fetch(`${wardBaseUrl}/api/v1/province/broadcasts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }
}

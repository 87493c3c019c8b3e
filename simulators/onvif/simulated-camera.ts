/**
 * One simulated ONVIF Profile S PTZ camera on its own loopback HTTP port, with fault modes switchable at runtime.
 * Auth follows what field devices do: WS-UsernameToken in the SOAP header (bad token → HTTP 400 ter:NotAuthorized),
 * HTTP Digest accepted as the alternative (ONVIF Core §5.9.1), no credentials at all → HTTP 401 with a Digest challenge.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { HttpDigestVerifier } from './http-digest-verifier.ts';
import { runAction, PRE_AUTH_ACTIONS } from './onvif-actions.ts';
import type { ActionContext, ServiceName } from './onvif-actions.ts';
import type { DeviceIdentity, Preset } from './onvif-responses.ts';
import { PtzModel } from './ptz-model.ts';
import type { PtzPosition } from './ptz-model.ts';
import { SnapshotRenderer } from './snapshot-renderer.ts';
import { SOAP_CONTENT_TYPE, SoapFaultError, bodyAction, envelope, faultEnvelope, faultHttpStatus, faults } from './soap-envelope.ts';
import type { SoapFault } from './soap-envelope.ts';
import { UsernameTokenVerifier } from './ws-security-verifier.ts';

export type CameraFault =
  | { kind: 'offline' } // server closed: connection refused
  | { kind: 'slow'; delayMs: number } // every response delayed
  | { kind: 'hang' } // requests accepted, never answered
  | { kind: 'wrong-password'; password?: string } // someone changed the camera's password
  | { kind: 'clock-skew'; offsetMs: number } // camera clock off by offsetMs
  | { kind: 'broken-snapshot'; mode: 'garbage' | 'http-500' }
  | { kind: 'garbage-soap' }; // SOAP endpoints answer with non-XML bytes
export type FaultKind = CameraFault['kind'];

export interface SimulatedCameraOptions {
  id: string;
  name?: string;
  username: string;
  password: string;
  host?: string;
  port?: number;
  identity?: Partial<DeviceIdentity>;
  clockWindowMs?: number;
  defaultPtzTimeoutMs?: number;
}

export interface CameraStats {
  requests: number;
  byAction: Record<string, number>;
  authFailures: number;
  snapshots: number;
  basicAuthAttempts: number;
}

const PATHS: Record<string, ServiceName> = {
  '/onvif/device_service': 'device',
  '/onvif/media_service': 'media',
  '/onvif/ptz_service': 'ptz',
};
const SNAPSHOT_PATH = '/onvif/snapshot';
const MAX_BODY = 1 << 20;

export class SimulatedCamera {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly stats: CameraStats = { requests: 0, byAction: {}, authFailures: 0, snapshots: 0, basicAuthAttempts: 0 };
  private readonly host: string;
  private boundPort: number;
  private readonly server: Server;
  private readonly faults = new Map<FaultKind, CameraFault>();
  private readonly ptz = new PtzModel(() => this.clock());
  private readonly presets = new Map<string, Preset>();
  private readonly tokens: UsernameTokenVerifier;
  private readonly digest: HttpDigestVerifier;
  private readonly renderer: SnapshotRenderer;
  private readonly identity: DeviceIdentity;
  private readonly ctx: ActionContext;

  constructor(private readonly opts: SimulatedCameraOptions) {
    this.id = opts.id;
    this.name = opts.name ?? opts.id;
    this.username = opts.username;
    this.host = opts.host ?? '127.0.0.1';
    this.boundPort = opts.port ?? 0;
    this.identity = {
      manufacturer: 'SmartWard Sim',
      model: 'SW-PTZ-2230',
      firmwareVersion: '5.7.3 build 260101',
      serialNumber: `SIM${randomBytes(5).toString('hex').toUpperCase()}`,
      hardwareId: '88',
      ...opts.identity,
    };
    for (const [token, name, position] of [
      ['1', 'Home', { pan: 0, tilt: 0, zoom: 0 }],
      ['2', 'Market gate', { pan: 0.5, tilt: -0.25, zoom: 0.4 }],
      ['3', 'Crossroad', { pan: -0.75, tilt: -0.1, zoom: 0.8 }],
    ] as const) {
      this.presets.set(token, { token, name, position: { ...position } });
    }
    this.tokens = new UsernameTokenVerifier({
      username: () => this.username,
      password: () => this.password(),
      now: () => this.clock(),
      clockWindowMs: opts.clockWindowMs,
    });
    this.digest = new HttpDigestVerifier(`${this.name}`, () => ({ username: this.username, password: this.password() }));
    this.renderer = new SnapshotRenderer(this.id, this.name);
    this.ctx = {
      identity: this.identity,
      addrs: {
        device: '',
        media: '',
        ptz: '',
      },
      snapshotUri: (token) => `${this.baseUrl}${SNAPSHOT_PATH}?profile=${encodeURIComponent(token)}`,
      streamUri: (token) => `rtsp://${this.host}:554/Streaming/${encodeURIComponent(token)}`,
      ptz: this.ptz,
      presets: this.presets,
      now: () => new Date(this.clock()),
      defaultPtzTimeoutMs: opts.defaultPtzTimeoutMs ?? 5000,
    };
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  get port(): number {
    return this.boundPort;
  }
  get baseUrl(): string {
    return `http://${this.host}:${this.boundPort}`;
  }
  /** Device service address, as WS-Discovery XAddrs give it. */
  get xaddr(): string {
    return `${this.baseUrl}/onvif/device_service`;
  }
  get snapshotUrl(): string {
    return this.ctx.snapshotUri('profile_main');
  }
  /** Live PTZ position (integrated up to now). */
  get state(): PtzPosition {
    return this.ptz.position();
  }
  get basicAuthAttempts(): number {
    return this.digest.basicAttempts;
  }
  get activeFaults(): CameraFault[] {
    return [...this.faults.values()];
  }
  /** The camera's own clock, including any injected skew. */
  clock(): number {
    const skew = this.faults.get('clock-skew');
    return Date.now() + (skew?.kind === 'clock-skew' ? skew.offsetMs : 0);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.boundPort, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    Object.assign(this.ctx.addrs, {
      device: this.xaddr,
      media: `${this.baseUrl}/onvif/media_service`,
      ptz: `${this.baseUrl}/onvif/ptz_service`,
    });
  }

  async setFault(fault: CameraFault): Promise<void> {
    const wasOffline = this.faults.has('offline');
    this.faults.set(fault.kind, fault);
    if (fault.kind === 'offline' && !wasOffline) await this.stopListening();
  }

  /** Clears one fault kind, or all of them. Going back online re-listens on the same port. */
  async clearFault(kind?: FaultKind): Promise<void> {
    const wasOffline = this.faults.has('offline');
    if (kind === undefined) this.faults.clear();
    else this.faults.delete(kind);
    if (wasOffline && !this.faults.has('offline')) await this.start();
  }

  async close(): Promise<void> {
    if (!this.faults.has('offline')) await this.stopListening();
  }

  private password(): string {
    const f = this.faults.get('wrong-password');
    return f?.kind === 'wrong-password' ? (f.password ?? 'changed-by-installer') : this.opts.password;
  }

  private async stopListening(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hanging requests and idle keep-alive sockets would keep the port "up"; a powered-off camera drops them all.
    this.server.closeAllConnections();
    await closed;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests += 1;
    if (this.faults.has('hang')) return; // hold the socket open; closeAllConnections() ends it
    const slow = this.faults.get('slow');
    const delay = slow?.kind === 'slow' ? slow.delayMs : 0;
    void this.readBody(req)
      .then(async (body) => {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        await this.route(req, res, body);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  }

  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error('body too large'));
        else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (req.method === 'GET' && url.pathname === SNAPSHOT_PATH) return this.serveSnapshot(req, res);
    const service = PATHS[url.pathname];
    if (req.method !== 'POST' || service === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (this.faults.has('garbage-soap')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(randomBytes(64).toString('latin1') + '<html><body>Login');
      return;
    }
    this.serveSoap(req, res, service, body);
  }

  private serveSoap(req: IncomingMessage, res: ServerResponse, service: ServiceName, body: string): void {
    const action = bodyAction(body);
    if (action === undefined) return this.sendFault(res, faults.wellFormed());
    this.stats.byAction[action] = (this.stats.byAction[action] ?? 0) + 1;
    if (!PRE_AUTH_ACTIONS.has(action) && !this.authorizeSoap(req, res, body)) return;
    try {
      const xml = envelope(runAction(service, action, this.ctx, body));
      res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE }).end(xml);
    } catch (err) {
      if (err instanceof SoapFaultError) return this.sendFault(res, err.fault);
      throw err;
    }
  }

  /** Returns true if authorized; otherwise has already answered. */
  private authorizeSoap(req: IncomingMessage, res: ServerResponse, body: string): boolean {
    const authz = req.headers.authorization;
    if (authz !== undefined && this.digest.verify(req.method ?? 'POST', req.url ?? '', authz).ok) return true;
    if (/<(?:[\w.-]+:)?Security\b/.test(body)) {
      const check = this.tokens.verify(body);
      if (check.ok) return true;
      this.stats.authFailures += 1;
      this.sendFault(res, faults.notAuthorized());
      return false;
    }
    this.stats.authFailures += 1;
    const fault = faults.notAuthorized();
    res.writeHead(401, { 'content-type': SOAP_CONTENT_TYPE, 'www-authenticate': this.digest.challenge() }).end(faultEnvelope(fault));
    return false;
  }

  private sendFault(res: ServerResponse, fault: SoapFault): void {
    res.writeHead(faultHttpStatus(fault), { 'content-type': SOAP_CONTENT_TYPE }).end(faultEnvelope(fault));
  }

  private async serveSnapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const check = this.digest.verify('GET', req.url ?? '', req.headers.authorization);
    if (!check.ok) {
      this.stats.authFailures += 1;
      res
        .writeHead(401, { 'content-type': 'text/html', 'www-authenticate': this.digest.challenge(check.stale) })
        .end('<html><body>401 Unauthorized</body></html>');
      return;
    }
    this.stats.snapshots += 1;
    const broken = this.faults.get('broken-snapshot');
    if (broken?.kind === 'broken-snapshot' && broken.mode === 'http-500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('encoder busy');
      return;
    }
    if (broken?.kind === 'broken-snapshot') {
      // Seen on field devices: a truncated or corrupted frame still labelled image/jpeg.
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(randomBytes(4096));
      return;
    }
    const jpeg = await this.renderer.render(new Date(this.clock()), this.ptz.position());
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg);
  }
}

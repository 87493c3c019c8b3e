/**
 * Live stream relay: one upstream connection per live broadcast (the province's stream, an operator's encoder),
 * fanned out to every cluster that listens. Clusters on 4G reach the ward's service, not necessarily the source, and
 * the source serves one listener instead of sixty. A listener that falls more than maxBufferedBytes behind is cut
 * (it reconnects); the upstream closes a few seconds after its last listener leaves.
 */
import http from 'node:http';
import https from 'node:https';
import { PassThrough } from 'node:stream';
import { AppError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';

interface Upstream {
  url: string;
  req: http.ClientRequest;
  listeners: Set<PassThrough>;
  contentType: string;
  ready: Promise<void>;
  bytes: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface RelayOptions {
  log: Logger;
  maxListeners?: number;
  idleCloseMs?: number;
  maxBufferedBytes?: number;
  connectTimeoutMs?: number;
}

export class LiveRelay {
  private readonly o: Required<Omit<RelayOptions, 'log'>> & { log: Logger };
  private readonly streams = new Map<string, Upstream>();

  constructor(o: RelayOptions) {
    this.o = { maxListeners: 500, idleCloseMs: 5000, maxBufferedBytes: 1 << 20, connectTimeoutMs: 10_000, ...o };
  }

  /** A stream for one more listener of broadcast `id`, opening the upstream on first use. */
  async attach(id: string, sourceUrl: string): Promise<{ stream: PassThrough; contentType: string }> {
    let up = this.streams.get(id);
    if (!up || up.url !== sourceUrl) {
      if (up) this.close(id);
      up = this.open(id, sourceUrl);
    }
    await up.ready;
    if (up.listeners.size >= this.o.maxListeners) throw new AppError('RELAY_FULL', 503, `the relay of '${id}' has ${this.o.maxListeners} listeners already`);
    clearTimeout(up.idleTimer);
    const out = new PassThrough();
    up.listeners.add(out);
    const current = up;
    out.on('close', () => {
      current.listeners.delete(out);
      if (current.listeners.size === 0) current.idleTimer = setTimeout(() => this.streams.get(id) === current && this.close(id), this.o.idleCloseMs);
    });
    return { stream: out, contentType: up.contentType };
  }

  private open(id: string, url: string): Upstream {
    const get = url.startsWith('https:') ? https.get : http.get;
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    const up: Upstream = { url, req: undefined as unknown as http.ClientRequest, listeners: new Set(), contentType: 'audio/mpeg', ready, bytes: 0, idleTimer: undefined };
    up.req = get(url, { timeout: this.o.connectTimeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.streams.delete(id);
        rejectReady(new AppError('RELAY_SOURCE', 502, `the live source answered HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      up.contentType = String(res.headers['content-type'] ?? 'audio/mpeg');
      resolveReady();
      res.on('data', (chunk: Buffer) => {
        up.bytes += chunk.length;
        for (const l of up.listeners) {
          if (l.writableLength > this.o.maxBufferedBytes) l.destroy();
          else l.write(chunk);
        }
      });
      res.on('end', () => this.finish(id, up));
      res.on('error', () => this.finish(id, up));
    });
    up.req.on('timeout', () => up.req.destroy(new Error('live source did not answer in time')));
    up.req.on('error', (err) => {
      this.o.log.warn({ broadcastId: id, err: err.message }, 'live source failed');
      rejectReady(new AppError('RELAY_SOURCE', 502, `the live source cannot be reached: ${err.message}`));
      this.finish(id, up);
    });
    ready.catch(() => undefined);
    this.streams.set(id, up);
    return up;
  }

  private finish(id: string, up: Upstream): void {
    if (this.streams.get(id) === up) this.streams.delete(id);
    clearTimeout(up.idleTimer);
    for (const l of up.listeners) l.end();
    up.listeners.clear();
  }

  close(id: string): void {
    const up = this.streams.get(id);
    if (!up) return;
    up.req.destroy();
    this.finish(id, up);
  }

  stats(): { broadcastId: string; listeners: number; bytes: number }[] {
    return [...this.streams.entries()].map(([broadcastId, u]) => ({ broadcastId, listeners: u.listeners.size, bytes: u.bytes }));
  }

  stopAll(): void {
    for (const id of [...this.streams.keys()]) this.close(id);
  }
}

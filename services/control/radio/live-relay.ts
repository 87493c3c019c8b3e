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
import type { NetGuard } from '../../common/net-guard.ts';

interface Upstream {
  url: string;
  /** The HTTP request to the source; absent for a pushed source (the operator's microphone). */
  req?: http.ClientRequest;
  /** A pushed source's first chunk (WebM/Ogg header): every listener gets it first, or it cannot decode what follows. */
  header?: Buffer;
  /** A pushed source not yet connected gives up after this timer. */
  waitTimer?: NodeJS.Timeout;
  resolveReady?: () => void;
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
  /** How long a listener of a pushed source (microphone) waits for it to connect. */
  pushWaitMs?: number;
  /** Networks a source may be fetched from (SW_NETWORKS_LIVE_SOURCE); absent: any. */
  guard?: NetGuard;
}

export class LiveRelay {
  private readonly o: Required<Omit<RelayOptions, 'log' | 'guard'>> & { log: Logger; guard?: NetGuard };
  private readonly streams = new Map<string, Upstream>();

  constructor(o: RelayOptions) {
    this.o = { maxListeners: 500, idleCloseMs: 5000, maxBufferedBytes: 1 << 20, connectTimeoutMs: 10_000, pushWaitMs: 30_000, ...o };
  }

  /** A stream for one more listener of broadcast `id`, opening the upstream on first use. */
  async attach(id: string, sourceUrl: string): Promise<{ stream: PassThrough; contentType: string }> {
    let up = this.streams.get(id);
    if (!up || up.url !== sourceUrl) {
      if (up) this.close(id);
      up = sourceUrl.startsWith('mic:') ? this.awaitPush(id, sourceUrl) : this.open(id, sourceUrl);
    }
    if (up.listeners.size >= this.o.maxListeners) throw new AppError('RELAY_FULL', 503, `the relay of '${id}' has ${this.o.maxListeners} listeners already`);
    clearTimeout(up.idleTimer);
    // Listening starts before the source is ready: a pushed source may send its first chunks (its header among them)
    // before this function resumes, and a listener that missed them could not decode the rest.
    const out = new PassThrough();
    if (up.header) out.write(up.header);
    up.listeners.add(out);
    const current = up;
    try {
      await up.ready;
    } catch (err) {
      current.listeners.delete(out);
      out.destroy();
      throw err;
    }
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
    const up: Upstream = { url, listeners: new Set(), contentType: 'audio/mpeg', ready, bytes: 0, idleTimer: undefined };
    // One answer for every failure (refused, closed port, timeout, not audio, a redirect): the relay must not tell an
    // operator which internal ports are open, nor hand them what a non-audio address serves.
    const unreachable = (): AppError =>
      new AppError('RELAY_SOURCE', 502, 'Không đọc được nguồn phát trực tiếp. / The live source could not be read as an audio stream');
    try {
      this.o.guard?.checkHost(new URL(url).hostname);
    } catch (err) {
      queueMicrotask(() => {
        rejectReady(err as Error);
        this.finish(id, up);
      });
      ready.catch(() => undefined);
      this.streams.set(id, up);
      return up;
    }
    const lookup = this.o.guard?.lookup;
    const req = get(url, { timeout: this.o.connectTimeoutMs, ...(lookup ? { lookup } : {}) }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      // Redirects are not followed (a 3xx is not 200), and only audio is relayed.
      if (res.statusCode !== 200 || !/^(audio\/|application\/ogg)/i.test(type)) {
        this.o.log.warn({ broadcastId: id, status: res.statusCode, contentType: type.slice(0, 60) }, 'live source refused: not a 200 audio answer');
        res.resume();
        this.streams.delete(id);
        rejectReady(unreachable());
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
    up.req = req;
    req.on('timeout', () => req.destroy(new Error('live source did not answer in time')));
    req.on('error', (err) => {
      this.o.log.warn({ broadcastId: id, err }, 'live source failed');
      rejectReady((err as { code?: string }).code === 'ADDRESS_NOT_ALLOWED' ? (err as Error) : unreachable());
      this.finish(id, up);
    });
    ready.catch(() => undefined);
    this.streams.set(id, up);
    return up;
  }

  /**
   * A source that is pushed to us (the operator's microphone over a WebSocket): listeners may come first (clusters get
   * the live command at once) and wait up to pushWaitMs for it to connect.
   */
  private awaitPush(id: string, url: string): Upstream {
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    ready.catch(() => undefined);
    const up: Upstream = { url, listeners: new Set(), contentType: 'audio/webm', ready, bytes: 0, idleTimer: undefined, resolveReady };
    up.waitTimer = setTimeout(() => {
      if (up.header) return;
      rejectReady(new AppError('RELAY_SOURCE', 503, 'the microphone is not connected'));
      this.finish(id, up);
    }, this.o.pushWaitMs);
    this.streams.set(id, up);
    return up;
  }

  /** The pushing side: chunks written here fan out to every listener; end() ends the broadcast's stream. */
  push(id: string, url: string, contentType: string): { write: (chunk: Buffer) => void; end: () => void } {
    let up = this.streams.get(id);
    if (!up || up.url !== url || up.header) {
      if (up) this.close(id);
      up = this.awaitPush(id, url);
    }
    const current = up;
    current.contentType = contentType;
    return {
      write: (chunk) => {
        if (this.streams.get(id) !== current) return;
        current.bytes += chunk.length;
        if (!current.header) {
          current.header = chunk;
          clearTimeout(current.waitTimer);
          current.resolveReady?.();
        }
        for (const l of current.listeners) {
          if (l.writableLength > this.o.maxBufferedBytes) l.destroy();
          else l.write(chunk);
        }
      },
      end: () => this.finish(id, current),
    };
  }

  private finish(id: string, up: Upstream): void {
    clearTimeout(up.waitTimer);
    if (this.streams.get(id) === up) this.streams.delete(id);
    clearTimeout(up.idleTimer);
    for (const l of up.listeners) l.end();
    up.listeners.clear();
  }

  close(id: string): void {
    const up = this.streams.get(id);
    if (!up) return;
    up.req?.destroy();
    this.finish(id, up);
  }

  stats(): { broadcastId: string; listeners: number; bytes: number }[] {
    return [...this.streams.entries()].map(([broadcastId, u]) => ({ broadcastId, listeners: u.listeners.size, bytes: u.bytes }));
  }

  stopAll(): void {
    for (const id of [...this.streams.keys()]) this.close(id);
  }
}

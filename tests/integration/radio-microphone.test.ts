import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/test-app.ts';

/** Reads an HTTP stream until `until` bytes arrived or it ended. */
function listen(url: string): { bytes: () => Buffer; ended: Promise<void>; status: Promise<number> } {
  const chunks: Buffer[] = [];
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((resolve) => {
    http
      .get(url, (res) => {
        resolveStatus(res.statusCode ?? 0);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      })
      .on('error', () => resolve());
  });
  return { bytes: () => Buffer.concat(chunks), ended, status };
}

const HEADER = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01]); // EBML magic: a WebM stream's start
const chunk = (n: number): Buffer => Buffer.alloc(300, n);

describe('the operator’s microphone as a live broadcast source (WebSocket in, relay out)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db: await openPglite({ dataDir: null, log: silentLogger() }) });
    await t.provision('speaker', 'spk-mic-1');
  });
  afterAll(async () => {
    await t?.close();
    await t?.app.db.close();
  });

  it('an emergency from the microphone reaches the clusters through the relay, header first for late listeners', async () => {
    const r = await t.http<{ broadcast: { id: string }; microphone: { url: string } }>('POST', '/api/v1/radio/broadcasts', {
      token: t.adminToken,
      body: { title: 'Báo cháy', priority: 'emergency', microphone: true, clusterIds: ['spk-mic-1'] },
    });
    expect(r.status).toBe(201);
    expect(r.body.microphone.url).toMatch(/^\/api\/v1\/radio\/live\/.+\/microphone\?exp=\d+&sig=/);
    // The cluster got a live command with its signed stream link at once.
    const cmd = await waitFor(async () => {
      const c = await t.http<{ items: { params: { streamUrl?: string } }[] }>('GET', '/api/v1/commands?device=spk-mic-1', { token: t.adminToken });
      return c.body.items.find((i) => i.params.streamUrl)?.params.streamUrl ?? null;
    });
    const base = t.app.urls().http;
    // The link names the address the operator's request came to (inject: localhost); the test reaches the real port.
    const u = new URL(cmd, base);
    const streamUrl = `${base}${u.pathname}${u.search}`;
    // A cluster may connect before the operator's microphone does: it waits for it.
    const early = listen(streamUrl);

    const wsBase = base.replace(/^http/, 'ws');
    const bad = new WebSocket(`${wsBase}${r.body.microphone.url.replace(/sig=[^&]+/, 'sig=forged')}&type=audio/webm`);
    const refused = await new Promise<number>((resolve) =>
      bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => undefined),
    );
    expect(refused).toBe(403);

    const mic = new WebSocket(`${wsBase}${r.body.microphone.url}&type=${encodeURIComponent('audio/webm;codecs=opus')}`);
    await new Promise<void>((resolve, reject) => mic.once('open', () => resolve()).once('error', reject));
    mic.send(HEADER);
    mic.send(chunk(1));
    expect(await early.status).toBe(200);
    await waitFor(async () => (early.bytes().length >= HEADER.length + 300 ? true : null));
    const late = listen(streamUrl);
    expect(await late.status).toBe(200);
    await waitFor(async () => (late.bytes().length >= HEADER.length ? true : null));
    mic.send(chunk(2));
    await waitFor(async () => (late.bytes().length >= HEADER.length + 300 ? true : null));
    mic.close();
    await Promise.all([early.ended, late.ended]);
    expect(early.bytes()).toEqual(Buffer.concat([HEADER, chunk(1), chunk(2)]));
    // The late listener starts with the header (a WebM decoder needs it), then what was said after it joined.
    expect(late.bytes()).toEqual(Buffer.concat([HEADER, chunk(2)]));

    // A plain GET says to use a WebSocket; the microphone cannot be added to a scheduled broadcast.
    expect((await t.http('GET', `/api/v1/radio/live/${r.body.broadcast.id}/microphone`)).status).toBe(426);
    const later = await t.http<{ error: { code: string } }>('POST', '/api/v1/radio/broadcasts', {
      token: t.adminToken,
      body: { title: 'x', priority: 'normal', microphone: true, clusterIds: ['spk-mic-1'], startAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(later.body.error.code).toBe('MICROPHONE_AIRS_NOW');
  }, 60_000);
});

/**
 * SSRF: with the default allow-lists an operator cannot point the live relay, a camera or a webhook at the service's
 * own loopback (here a loopback-only server holding a secret) or at link-local metadata; the relay does not follow
 * redirects, relays only audio and answers every failure alike (no remote content, no telling ports apart). The raw
 * `live` command cannot put a stream on air around the broadcast workflow.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../services/db/pglite-driver.ts';
import { silentLogger } from '../../services/common/logger.ts';
import { NetGuard } from '../../services/common/net-guard.ts';
import { LiveRelay } from '../../services/control/radio/live-relay.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const SECRET = 'internal-secret-7f3a9c';

describe('outbound address allow-lists', () => {
  let t: TestApp;
  let secretServer: http.Server;
  let port: number;

  beforeAll(async () => {
    secretServer = http.createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/audio' }).end();
        return;
      }
      if (req.url === '/audio') {
        res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(Buffer.alloc(64));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(SECRET);
    });
    await new Promise<void>((r) => secretServer.listen(0, '127.0.0.1', r));
    port = (secretServer.address() as AddressInfo).port;
    // The defaults, not the test helper's loopback-friendly lists.
    t = await startTestApp({
      db: await openPglite({ dataDir: null, log: silentLogger() }),
      env: { SW_NETWORKS_LIVE_SOURCE: '0.0.0.0/0,::/0', SW_NETWORKS_CAMERA: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16', SW_NETWORKS_WEBHOOK: '0.0.0.0/0,::/0' },
    });
    await t.http('POST', '/api/v1/zones', { token: t.adminToken, body: { id: 'tdp-1', name: 'Tổ 1', kind: 'residential_group' } });
    await t.provision('speaker', 'loa-1', { groupId: 'tdp-1' });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await t?.app.db.close();
    secretServer?.close();
  });

  it('the allow-list rule: 0.0.0.0/0 does not open loopback or link-local, a listed narrower block does', () => {
    const wide = new NetGuard('live-source', ['0.0.0.0/0', '::/0']);
    for (const ip of ['127.0.0.1', '127.8.9.1', '169.254.169.254', '0.0.0.0', '::1', '::ffff:127.0.0.1', 'fe80::1', '224.0.0.1'])
      expect(wide.allows(ip), ip).toBe(false);
    for (const ip of ['8.8.8.8', '10.20.0.5', '2001:db8::1']) expect(wide.allows(ip), ip).toBe(true);
    const lan = new NetGuard('camera', ['10.20.0.0/16', '127.0.0.0/8']);
    expect(lan.allows('10.20.3.4')).toBe(true);
    expect(lan.allows('10.21.0.1')).toBe(false);
    expect(lan.allows('127.0.0.1')).toBe(true);
  });

  it("refuses a live broadcast whose source is the service's loopback or link-local, by address or by name", async () => {
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::1]:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const r = await t.http<{ error: { code: string; message: string } }>('POST', '/api/v1/radio/broadcasts', {
        token: t.adminToken,
        body: { title: 'x', priority: 'emergency', streamUrl: url, clusterIds: ['loa-1'] },
      });
      expect(r.status, url).toBe(400);
      expect(r.body.error.code, url).toBe('ADDRESS_NOT_ALLOWED');
      expect(JSON.stringify(r.body)).not.toContain(SECRET);
    }
    const stored = await t.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM broadcasts');
    expect(stored.rows[0]?.n).toBe(0);
  });

  it('the relay checks names again when it connects, follows no redirect, relays only audio, and fails alike', async () => {
    const relay = new LiveRelay({ log: silentLogger(), guard: new NetGuard('live-source', ['0.0.0.0/0']), connectTimeoutMs: 2000 });
    // A name resolving to loopback (DNS rebinding is the same path) is refused at connect time.
    await expect(relay.attach('b1', `http://localhost:${port}/audio`)).rejects.toMatchObject({ code: 'ADDRESS_NOT_ALLOWED' });
    const open = new LiveRelay({ log: silentLogger(), guard: new NetGuard('live-source', ['127.0.0.0/8']), connectTimeoutMs: 2000 });
    const messages: string[] = [];
    for (const path of ['/secret', '/redirect']) {
      const err = (await open.attach(`b-${path.slice(1)}`, `http://127.0.0.1:${port}${path}`).catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      messages.push(err.message);
    }
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    messages.push(((await open.attach('b-closed', `http://127.0.0.1:${closedPort}/`).catch((e: Error) => e)) as Error).message);
    expect(new Set(messages).size, messages.join(' | ')).toBe(1);
    expect(messages[0]).not.toContain(SECRET);
    expect(messages[0]).not.toMatch(/ECONNREFUSED|302|HTTP \d/);
    const ok = await open.attach('b-audio', `http://127.0.0.1:${port}/audio`);
    expect(ok.contentType).toBe('audio/mpeg');
    ok.stream.destroy();
  });

  it('refuses webhooks and cameras outside their networks', async () => {
    for (const url of [`http://127.0.0.1:${port}/hook`, 'http://169.254.169.254/', `http://localhost:${port}/`]) {
      const r = await t.http<{ error: { code: string } }>('POST', '/api/v1/alarm-webhooks', { token: t.adminToken, body: { name: 'w', url } });
      expect(r.status, url).toBe(400);
      expect(r.body.error.code, url).toBe('ADDRESS_NOT_ALLOWED');
    }
    for (const address of [`http://127.0.0.1:${port}/onvif/device_service`, 'http://8.8.8.8/onvif/device_service']) {
      const r = await t.http<{ error: { code: string } }>('POST', '/api/v1/cameras', {
        token: t.adminToken,
        body: { name: 'cam', connection: { address, username: 'admin', password: 'camera-password' } },
      });
      expect(r.status, address).toBe(400);
      expect(r.body.error.code, address).toBe('ADDRESS_NOT_ALLOWED');
    }
  });

  it('the raw live command goes through the broadcast workflow: record, source check, relay link, audit', async () => {
    const refused = await t.http<{ error: { code: string } }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: {
        name: 'live',
        target: { type: 'devices', ids: ['loa-1'] },
        params: { broadcastId: 'x', streamUrl: `http://127.0.0.1:${port}/`, priority: 'emergency' },
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('ADDRESS_NOT_ALLOWED');
    expect((await t.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM commands WHERE name = 'live'`)).rows[0]?.n).toBe(0);

    const source = 'http://192.0.2.10/province.mp3';
    const r = await t.http<{ routedTo: string; broadcastId: string; commandIds: string[] }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: { name: 'live', target: { type: 'devices', ids: ['loa-1'] }, params: { broadcastId: 'x', streamUrl: source, priority: 'emergency' } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.routedTo).toBe('broadcast');
    const b = await t.app.db.query<{ stream_url: string; priority: string; created_by: string }>(
      'SELECT stream_url, priority, created_by FROM broadcasts WHERE id = $1',
      [r.body.broadcastId],
    );
    expect(b.rows[0]).toEqual({ stream_url: source, priority: 'emergency', created_by: 'admin' });
    // The clusters are sent the service's signed relay link, never the raw source.
    const cmd = await t.app.db.query<{ params: { streamUrl: string } }>('SELECT params FROM commands WHERE id = $1', [r.body.commandIds[0]]);
    expect(cmd.rows[0]?.params.streamUrl).toContain(`/api/v1/radio/live/${r.body.broadcastId}/stream`);
    expect(cmd.rows[0]?.params.streamUrl).not.toContain('192.0.2.10');
    const audit = await t.app.db.query<{ action: string; target_type: string; target_id: string; result: string }>(
      'SELECT action, target_type, target_id, result FROM audit_log ORDER BY id DESC LIMIT 1',
    );
    expect(audit.rows[0]).toEqual({ action: 'command.send', target_type: 'broadcast', target_id: r.body.broadcastId, result: 'ok' });
    // play carries a URL too, and has no such path: refused.
    const play = await t.http<{ error: { code: string } }>('POST', '/api/v1/commands', {
      token: t.adminToken,
      body: { name: 'play', target: { type: 'devices', ids: ['loa-1'] }, params: { broadcastId: 'y', url: source, sha256: null, priority: 'emergency' } },
    });
    expect(play.status).toBe(400);
  });
});

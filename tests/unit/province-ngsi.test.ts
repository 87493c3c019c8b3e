import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs, contentHash, deviceEntity, kpiEntity, messageId } from '../../services/province/ngsi.ts';
import { NgsiLdUpstream } from '../../services/province/upstream.ts';

const WARD = { code: '22366', name: 'Phường Phước Long' };
const dev = {
  id: 'sl-1',
  kind: 'streetlight',
  name: 'Đèn 1',
  lat: 12.22,
  lon: 109.19,
  address: null,
  groupId: 'tdp-1',
  online: true,
  state: { level: 70, power: 52.5 },
  stateAt: '2026-06-01T12:00:00.000Z',
};

describe('NGSI-LD entities', () => {
  it('maps a streetlight to the FIWARE Streetlight model, with the level scaled to 0–1 and observedAt', () => {
    const e = deviceEntity(dev, WARD);
    expect(e).toMatchObject({
      id: 'urn:ngsi-ld:Streetlight:22366:sl-1',
      type: 'Streetlight',
      illuminanceLevel: { type: 'Property', value: 0.7, observedAt: '2026-06-01T12:00:00.000Z' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [109.19, 12.22] } },
      refResidentialGroup: { type: 'Relationship', object: 'urn:ngsi-ld:AdministrativeArea:22366:tdp-1' },
      deviceState: { value: 'ok' },
    });
    expect(deviceEntity({ ...dev, kind: 'unknown-kind' }, WARD)).toBeNull();
  });

  it('gives unchanged content the same message id whatever the key order, and changed content a new one', () => {
    const a = deviceEntity(dev, WARD)!;
    const b = deviceEntity({ ...dev, state: { power: 52.5, level: 70 } }, WARD)!;
    expect(messageId(a)).toBe(messageId(b));
    expect(contentHash(deviceEntity({ ...dev, state: { level: 71 } }, WARD)!)).not.toBe(contentHash(a));
    const k = kpiEntity(
      {
        figureId: 'wifi-ap.uniqueUsers',
        label: { vi: 'Số người dùng', en: 'Unique users' },
        method: { vi: 'm', en: 'm' },
        value: 12,
        unit: '',
        period: { code: '2026-06', from: 'a', to: 'b' },
        computedAt: '2026-06-02',
      },
      WARD,
    );
    expect(k).toMatchObject({
      id: 'urn:ngsi-ld:KeyPerformanceIndicator:22366:wifi-ap.uniqueUsers:2026-06',
      type: 'KeyPerformanceIndicator',
      kpiValue: { value: 12 },
    });
  });

  it('backs off exponentially up to the cap, with bounded jitter', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 100, 1000, () => 0.5))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(3, 100, 1000, () => 0)).toBe(300);
    expect(backoffMs(3, 100, 1000, () => 0.999)).toBeLessThanOrEqual(500);
  });
});

describe('NGSI-LD upstream answers', () => {
  let server: http.Server;
  let answer: (res: http.ServerResponse) => void = (res) => res.writeHead(204).end();
  let url = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const entities = [deviceEntity(dev, WARD)!, deviceEntity({ ...dev, id: 'sl-2' }, WARD)!, deviceEntity({ ...dev, id: 'sl-3' }, WARD)!];

  it('sorts a 207 multi-status into delivered, refused for good and to retry', async () => {
    answer = (res) =>
      res.writeHead(207, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          success: [entities[0]!.id],
          errors: [
            { entityId: entities[1]!.id, error: { status: 400, title: 'BadRequestData' } },
            { entityId: entities[2]!.id, error: { status: 503, title: 'busy' } },
          ],
        }),
      );
    const r = await new NgsiLdUpstream({ baseUrl: url, token: '', tenant: '' }).push(entities);
    expect(r.ok).toEqual([entities[0]!.id]);
    expect(r.rejected.map((x) => x.id)).toEqual([entities[1]!.id]);
    expect(r.retry.map((x) => x.id)).toEqual([entities[2]!.id]);
  });

  it('retries on 5xx, 429 and an unreachable host; refuses for good on other 4xx', async () => {
    const up = new NgsiLdUpstream({ baseUrl: url, token: 't', tenant: 'x' });
    answer = (res) => res.writeHead(503).end('down');
    expect((await up.push(entities)).retry.length).toBe(3);
    answer = (res) => res.writeHead(429).end();
    expect((await up.push(entities)).retry.length).toBe(3);
    answer = (res) => res.writeHead(422).end('bad');
    expect((await up.push(entities)).rejected.length).toBe(3);
    const gone = await new NgsiLdUpstream({ baseUrl: 'http://127.0.0.1:1', token: '', tenant: '' }).push(entities);
    expect(gone.retry[0]?.error).toMatch(/unreachable/);
  });
});

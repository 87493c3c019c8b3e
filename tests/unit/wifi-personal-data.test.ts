import { describe, expect, it } from 'vitest';
import { getKind } from '../../devices/index.ts';
import { keyedHash, normalizePersonal, protectEventData, redactPayload, scrubText } from '../../services/ingest/personal-data.ts';
import { Metrics } from '../../services/common/metrics.ts';
import { silentLogger } from '../../services/common/logger.ts';
import type { WifiRepository } from '../../services/wifi/wifi.repository.ts';
import { foldEvents, WifiService } from '../../services/wifi/wifi.service.ts';
import { clientMac, wifiApModel } from '../../simulators/mqtt/models/wifi-ap.model.ts';

const KEY = Buffer.alloc(32, 7);
const wifi = getKind('wifi-ap');

describe('personal data in device messages', () => {
  it('one person, one hash: MAC and phone spellings normalize alike, and another key gives another hash', () => {
    expect(normalizePersonal('3C:22:FB:12:AB:9E')).toBe(normalizePersonal('3c-22-fb-12-ab-9e'));
    expect(normalizePersonal('0912345678')).toBe(normalizePersonal('+84 912 345 678'));
    expect(keyedHash(KEY, '0912345678')).toBe(keyedHash(KEY, '84912345678'));
    expect(keyedHash(KEY, '0912345678')).not.toBe(keyedHash(Buffer.alloc(32, 8), '0912345678'));
    expect(keyedHash(KEY, 'aa:bb:cc:dd:ee:ff')).toMatch(/^h1:[0-9a-f]{64}$/);
  });

  it('hashes the declared fields of a session event and leaves the rest', () => {
    const d = protectEventData(wifi, 'portalLogin', { sessionId: 's1', mac: 'aa:bb:cc:dd:ee:ff', phone: '0912345678', method: 'sms' }, KEY);
    expect(d.sessionId).toBe('s1');
    expect(d.method).toBe('sms');
    expect(String(d.mac)).toMatch(/^h1:/);
    expect(String(d.phone)).toMatch(/^h1:/);
    // Without a key nothing personal survives either.
    expect(protectEventData(wifi, 'portalLogin', { sessionId: 's1', phone: '0912345678' }, null).phone).toBe('[redacted]');
    // A non-string in a personal field is dropped, not stored.
    expect(protectEventData(wifi, 'sessionStart', { sessionId: 's1', mac: 12345 }, KEY)).not.toHaveProperty('mac');
  });

  it('redacts refused payloads by field name at any depth and by pattern in free text', () => {
    const r = redactPayload(JSON.stringify({ event: 'sessionStart', data: { sessionId: 'x', clientMac: 'AA:BB:CC:DD:EE:FF', note: 'call 0912 345 678' } }));
    expect(r).not.toMatch(/AA:BB|0912|345 678/);
    expect(JSON.parse(r).data.sessionId).toBe('x');
    expect(scrubText('{"mac":"aa-bb-cc-dd-ee-ff","msisdn":"+84912345678"')).toBe('{"mac":"[redacted]","msisdn":"[redacted]"');
    // Epoch timestamps are not phone numbers; a bare number shaped like one is redacted (safety over fidelity).
    expect(scrubText('{"ts":1796328905652,"seq":12}')).toBe('{"ts":1796328905652,"seq":12}');
    expect(scrubText('{"n":84123456789}')).toBe('{"n":[redacted]}');
  });
});

describe('session records', () => {
  it('folds start, stop and login into rows and refuses a record without a session id or with an unhashed MAC', () => {
    const h = keyedHash(KEY, 'aa:bb:cc:dd:ee:ff');
    const f = foldEvents([
      { time: '2026-06-01T12:00:00.000Z', deviceId: 'ap-1', event: 'sessionStart', data: { sessionId: 's1', mac: h, ssid: 'free' } },
      {
        time: '2026-06-01T12:20:00.000Z',
        deviceId: 'ap-1',
        event: 'sessionStop',
        data: { sessionId: 's1', bytesIn: 10, bytesOut: 2, durationS: 1200, cause: 'idle' },
      },
      {
        time: '2026-06-01T12:00:01.000Z',
        deviceId: 'ap-1',
        event: 'portalLogin',
        data: { sessionId: 's1', mac: h, method: 'click', consentVersion: 'v1', consentPurposes: ['terms'] },
      },
      { time: '2026-06-01T12:00:02.000Z', deviceId: 'ap-1', event: 'sessionStart', data: { mac: h } },
      { time: '2026-06-01T12:00:03.000Z', deviceId: 'ap-1', event: 'sessionStart', data: { sessionId: 's2', mac: 'aa:bb:cc:dd:ee:ff' } },
      { time: '2026-06-01T12:00:04.000Z', deviceId: 'ap-1', event: 'rebooted', data: {} },
    ]);
    expect(f.sessions.map((s) => [s.sessionId, s.started, s.stopped, s.bytesIn])).toEqual([
      ['s1', true, false, null],
      ['s1', false, true, 10],
    ]);
    expect(f.logins).toMatchObject([{ sessionId: 's1', consentVersion: 'v1', consentPurposes: ['terms'], language: 'vi', clientHash: h }]);
    expect(f.refused.map((r) => r.reason)).toEqual([expect.stringMatching(/sessionId/), expect.stringMatching(/keyed hash/)]);
  });

  it('the AP model reports sessions with returning clients, consent on every login, and a stop for each ended session', () => {
    const start = Date.parse('2026-06-01T11:00:00Z'); // 18:00 local: the evening peak
    let s = wifiApModel.init({ seed: 42, now: start, firmware: 't' });
    const events = [];
    for (let t = start; t < start + 4 * 3_600_000; t += 300_000) {
      const step = wifiApModel.advance(s, t + 300_000);
      s = step.state;
      events.push(...step.events);
    }
    const starts = events.filter((e) => e.event === 'sessionStart');
    const logins = events.filter((e) => e.event === 'portalLogin');
    const stops = events.filter((e) => e.event === 'sessionStop');
    expect(starts.length).toBe(Math.floor(s.sessions));
    expect(logins.length).toBe(starts.length);
    expect(logins.every((l) => typeof l.data?.consentVersion === 'string')).toBe(true);
    expect(logins.some((l) => typeof l.data?.phone === 'string' && /^09\d{8}$/.test(l.data.phone))).toBe(true);
    expect(stops.length + s.open.length).toBe(starts.length);
    const macs = new Set(starts.map((e) => e.data?.mac));
    expect(macs.size).toBeLessThan(starts.length);
    expect(clientMac(42, 1)).toMatch(/^02(:[0-9a-f]{2}){5}$/);
  });
});

describe('retention of personal WiFi data', () => {
  it('removes records after the configured days and the raw events after at most 7 days', async () => {
    const calls: [Date, string[], Date | undefined][] = [];
    // Only the one method the job may call; any other call fails the test.
    const repo = {
      purgeBefore: async (c: Date, e: string[], ec?: Date) => (calls.push([c, e, ec]), { sessions: 2, logins: 1, events: 5 }),
    } as unknown as WifiRepository;
    const now = Date.parse('2026-06-30T00:00:00Z');
    const r = await new WifiService({ repo, log: silentLogger(), metrics: new Metrics(), retentionDays: 90, clock: () => now }).purge();
    expect(r).toMatchObject({ sessions: 2, logins: 1, events: 5, cutoff: new Date(now - 90 * 86_400_000).toISOString() });
    expect(calls[0]?.[1].sort()).toEqual(['portalLogin', 'sessionStart', 'sessionStop', 'sessionUpdate']);
    expect(calls[0]?.[2]?.toISOString()).toBe(new Date(now - 7 * 86_400_000).toISOString());
    await new WifiService({ repo, log: silentLogger(), metrics: new Metrics(), retentionDays: 3, clock: () => now }).purge();
    expect(calls[1]?.[2]?.toISOString()).toBe(new Date(now - 3 * 86_400_000).toISOString());
  });
});

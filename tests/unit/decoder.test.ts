import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, getKind } from '../../devices/index.ts';
import type { DeviceKind, MetricSpec } from '../../devices/index.ts';
import type { PublishChannel } from '../../services/broker/topics.ts';
import { decodeMessage } from '../../services/ingest/decoder.ts';
import type { DecodeLimits, DecodeResult, Decoded } from '../../services/ingest/decoder.ts';

const LIMITS: DecodeLimits = { maxPayloadBytes: 1024, maxFutureSkewMs: 60_000, maxAgeMs: 30 * 86_400_000 };
const RECEIVED = new Date('2026-03-10T12:00:00Z');
const NOW = RECEIVED.getTime();

const kind = (name: string): DeviceKind => {
  const k = getKind(name);
  if (!k) throw new Error(`no kind ${name}`);
  return k;
};
const streetlight = kind('streetlight');
const speaker = kind('speaker');

function decode(k: DeviceKind | undefined, channel: PublishChannel, body: unknown): DecodeResult {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return decodeMessage(k, channel, payload, RECEIVED, LIMITS);
}

function ok(r: DecodeResult): Decoded {
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.reason}`);
  return r.value;
}

const code = (r: DecodeResult): string => (r.ok ? 'OK' : r.code);

/** A value the declaration accepts, chosen from the spec alone so every kind's every metric is covered. */
function validValue(spec: MetricSpec): unknown {
  switch (spec.type) {
    case 'number':
    case 'integer':
      return spec.min ?? (spec.max !== undefined ? Math.min(0, spec.max) : 0);
    case 'boolean':
      return true;
    case 'enum':
      return spec.values[0];
    case 'string':
      return 'x'.repeat(Math.min(3, spec.maxLength));
  }
}

describe('telemetry', () => {
  it.each(DEVICE_KINDS.map((k) => [k.name, k] as const))('accepts a full valid report for %s', (_name, k) => {
    const metrics = Object.fromEntries(Object.entries(k.telemetry).map(([n, spec]) => [n, validValue(spec)]));
    const v = ok(decode(k, 'telemetry', { ts: NOW - 1000, metrics }));
    if (v.type !== 'telemetry') throw new Error(v.type);
    expect(v.time.getTime()).toBe(NOW - 1000);
    expect(Object.keys(v.state).sort()).toEqual(Object.keys(k.telemetry).sort());
    // Numeric series hold numbers and booleans only; enums and strings stay in the latest state.
    for (const [n, spec] of Object.entries(k.telemetry)) {
      const numeric = spec.type === 'number' || spec.type === 'integer' || spec.type === 'boolean';
      expect(n in v.numeric, `${k.name}.${n}`).toBe(numeric);
    }
  });

  it('stores booleans as 1/0 in the numeric series and as booleans in the state', () => {
    const v = ok(decode(speaker, 'telemetry', { ts: NOW, metrics: { muted: true, mainsOk: false, state: 'idle' } }));
    if (v.type !== 'telemetry') throw new Error(v.type);
    expect(v.numeric).toEqual({ muted: 1, mainsOk: 0 });
    expect(v.state).toEqual({ muted: true, mainsOk: false, state: 'idle' });
  });

  it('uses receivedAt when ts is missing, and accepts an ISO 8601 ts', () => {
    expect(ok(decode(streetlight, 'telemetry', { metrics: { level: 5 } })).time).toEqual(RECEIVED);
    expect(ok(decode(streetlight, 'telemetry', { ts: '2026-03-10T11:59:00Z', metrics: { level: 5 } })).time.toISOString()).toBe('2026-03-10T11:59:00.000Z');
  });

  it.each([
    ['malformed JSON', '{"ts": 1, "metrics": {', 'MALFORMED_JSON'],
    ['an array', [1, 2], 'NOT_AN_OBJECT'],
    ['a string', '"hello"', 'NOT_AN_OBJECT'],
    ['null', 'null', 'NOT_AN_OBJECT'],
    ['an unknown top-level field', { ts: NOW, metrics: { level: 1 }, extra: 1 }, 'UNKNOWN_FIELD'],
    ['no metrics', { ts: NOW }, 'MISSING_FIELD'],
    ['empty metrics', { ts: NOW, metrics: {} }, 'MISSING_FIELD'],
    ['metrics not an object', { ts: NOW, metrics: [1] }, 'WRONG_TYPE'],
    ['an unknown metric', { metrics: { level: 1, brightness: 3 } }, 'UNKNOWN_FIELD'],
    ['a string where a number belongs', { metrics: { power: '40' } }, 'WRONG_TYPE'],
    ['a non-finite number', '{"metrics": {"power": 1e999}}', 'WRONG_TYPE'],
    ['a fraction where an integer belongs', { metrics: { level: 50.5 } }, 'WRONG_TYPE'],
    ['a number above max', { metrics: { level: 101 } }, 'OUT_OF_RANGE'],
    ['a number below min', { metrics: { voltage: -1 } }, 'OUT_OF_RANGE'],
    ['a value outside the enum', { metrics: { reason: 'manual' } }, 'OUT_OF_RANGE'],
    ['a wrong ts type', { ts: true, metrics: { level: 1 } }, 'WRONG_TYPE'],
    ['an unparseable ts string', { ts: '2026-13-45T99:00:00Z', metrics: { level: 1 } }, 'BAD_TIMESTAMP'],
  ])('refuses %s', (_what, body, expected) => {
    expect(code(decode(streetlight, 'telemetry', body))).toBe(expected);
  });

  it('checks booleans and string lengths', () => {
    expect(code(decode(speaker, 'telemetry', { metrics: { muted: 1 } }))).toBe('WRONG_TYPE');
    expect(code(decode(speaker, 'telemetry', { metrics: { firmware: 7 } }))).toBe('WRONG_TYPE');
    expect(code(decode(speaker, 'telemetry', { metrics: { firmware: 'v'.repeat(65) } }))).toBe('OUT_OF_RANGE');
    expect(code(decode(speaker, 'telemetry', { metrics: { firmware: 'v'.repeat(64) } }))).toBe('OK');
  });

  it('refuses payloads over the size limit before parsing them, and accepts one exactly at it', () => {
    const atLimit = Buffer.alloc(LIMITS.maxPayloadBytes, ' ');
    atLimit.write('{"metrics":{"level":1}}');
    expect(code(decode(streetlight, 'telemetry', atLimit))).toBe('OK');
    const over = Buffer.alloc(LIMITS.maxPayloadBytes + 1, 'x'); // not even JSON: size is checked first
    expect(code(decode(streetlight, 'telemetry', over))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a ts further in the future than the allowed skew, and one older than retention', () => {
    expect(code(decode(streetlight, 'telemetry', { ts: NOW + LIMITS.maxFutureSkewMs, metrics: { level: 1 } }))).toBe('OK');
    expect(code(decode(streetlight, 'telemetry', { ts: NOW + LIMITS.maxFutureSkewMs + 1, metrics: { level: 1 } }))).toBe('BAD_TIMESTAMP');
    expect(code(decode(streetlight, 'telemetry', { ts: NOW - LIMITS.maxAgeMs - 1, metrics: { level: 1 } }))).toBe('BAD_TIMESTAMP');
  });

  it('refuses messages from a device without a known kind', () => {
    expect(code(decode(undefined, 'telemetry', { metrics: { level: 1 } }))).toBe('UNKNOWN_KIND');
  });

  // A 14 KB ack nested 7,000 levels deep once overflowed the stack downstream and stalled every command ack of the ward.
  it('refuses an ack or event nested deeper than the JSON depth limit, and accepts one at the limit', () => {
    const deep = `{"id":"c1","status":"ok","result":${'['.repeat(7000)}${']'.repeat(7000)}}`;
    expect(code(decode(streetlight, 'ack', deep))).toBe('PAYLOAD_TOO_LARGE'); // 14 KB is over the 1 KB limit of LIMITS
    const big = { ...LIMITS, maxPayloadBytes: 16_384 };
    const r = decodeMessage(streetlight, 'ack', Buffer.from(deep), RECEIVED, big);
    expect(r).toMatchObject({ ok: false, code: 'JSON_TOO_DEEP' });
    const ev = `{"event":"lampFailure","active":true,"data":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`;
    expect(decodeMessage(streetlight, 'event', Buffer.from(ev), RECEIVED, big)).toMatchObject({ ok: false, code: 'JSON_TOO_DEEP' });
    // 8 levels: the top-level object and 7 from `result` down.
    const atLimit = `{"id":"c1","status":"ok","result":${'{"a":'.repeat(7)}1${'}'.repeat(7)}}`;
    expect(decodeMessage(streetlight, 'ack', Buffer.from(atLimit), RECEIVED, big).ok).toBe(true);
    const overLimit = `{"id":"c1","status":"ok","result":${'{"a":'.repeat(8)}1${'}'.repeat(8)}}`;
    expect(decodeMessage(streetlight, 'ack', Buffer.from(overLimit), RECEIVED, big)).toMatchObject({ ok: false, code: 'JSON_TOO_DEEP' });
  });

  // These names used to find Object.prototype's members and make the decoder throw inside the broker (a crash).
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('refuses a metric named %s as unknown instead of throwing', (name) => {
    expect(code(decode(streetlight, 'telemetry', `{"metrics":{"${name}":1}}`))).toBe('UNKNOWN_FIELD');
  });
});

describe('events', () => {
  it('accepts a fault with active and carries its severity', () => {
    const v = ok(decode(streetlight, 'event', { ts: NOW, event: 'lampFailure', active: true, data: { power: 0 } }));
    expect(v).toMatchObject({ type: 'event', event: 'lampFailure', active: true, severity: 'critical', data: { power: 0 } });
  });

  it('requires active for faults but not for one-shot events', () => {
    expect(code(decode(streetlight, 'event', { event: 'lampFailure' }))).toBe('MISSING_FIELD');
    const v = ok(decode(speaker, 'event', { event: 'playLog', data: { broadcastId: 'b1', result: 'ok' } }));
    expect(v).toMatchObject({ type: 'event', active: null, severity: 'info' });
  });

  it.each([
    ['an unknown event', { event: 'explosion', active: true }, 'UNKNOWN_EVENT'],
    ['no event name', { active: true }, 'MISSING_FIELD'],
    ['active not a boolean', { event: 'playLog', active: 'yes' }, 'WRONG_TYPE'],
    ['data not an object', { event: 'playLog', data: 'x' }, 'WRONG_TYPE'],
    ['an unknown field', { event: 'playLog', severity: 'critical' }, 'UNKNOWN_FIELD'],
    ['an event named after an Object.prototype member', { event: 'constructor', active: true }, 'UNKNOWN_EVENT'],
    ['an event named toString', { event: 'toString' }, 'UNKNOWN_EVENT'],
  ])('refuses %s', (_what, body, expected) => {
    expect(code(decode(speaker, 'event', body))).toBe(expected);
  });
});

describe('status', () => {
  it('accepts a birth message and keeps the extra info without online and ts', () => {
    const v = ok(decode(streetlight, 'status', { ts: NOW, online: true, firmware: '1.2.3' }));
    expect(v).toEqual({ type: 'status', time: RECEIVED, online: true, info: { firmware: '1.2.3' } });
  });

  it('accepts the last-will {online:false}, which has no ts', () => {
    expect(ok(decode(streetlight, 'status', { online: false }))).toMatchObject({ online: false, time: RECEIVED });
  });

  it('refuses a status without online, or with unknown fields', () => {
    expect(code(decode(streetlight, 'status', { firmware: '1' }))).toBe('MISSING_FIELD');
    expect(code(decode(streetlight, 'status', { online: 'yes' }))).toBe('MISSING_FIELD');
    expect(code(decode(streetlight, 'status', { online: true, mood: 'happy' }))).toBe('UNKNOWN_FIELD');
  });
});

describe('ack', () => {
  it('accepts an ack with result', () => {
    const v = ok(decode(streetlight, 'ack', { id: 'c-1', status: 'ok', ts: NOW, result: { level: 40 } }));
    expect(v).toEqual({ type: 'ack', time: RECEIVED, commandId: 'c-1', status: 'ok', result: { level: 40 }, error: null });
  });

  it('accepts every ack status and keeps the error text', () => {
    for (const status of ['ok', 'error', 'rejected', 'in_progress']) expect(code(decode(streetlight, 'ack', { id: 'c', status }))).toBe('OK');
    expect(ok(decode(streetlight, 'ack', { id: 'c', status: 'error', error: 'relay stuck' }))).toMatchObject({ error: 'relay stuck', result: {} });
  });

  it.each([
    ['no id', { status: 'ok' }, 'MISSING_FIELD'],
    ['an id over 64 characters', { id: 'c'.repeat(65), status: 'ok' }, 'MISSING_FIELD'],
    ['an unknown status', { id: 'c', status: 'done' }, 'WRONG_TYPE'],
    ['result not an object', { id: 'c', status: 'ok', result: [1] }, 'WRONG_TYPE'],
    ['error not a string', { id: 'c', status: 'error', error: 5 }, 'WRONG_TYPE'],
    ['an unknown field', { id: 'c', status: 'ok', name: 'setLevel' }, 'UNKNOWN_FIELD'],
  ])('refuses %s', (_what, body, expected) => {
    expect(code(decode(streetlight, 'ack', body))).toBe(expected);
  });
});

describe('text PostgreSQL cannot store, and numbers beyond the declared range (issue 10)', () => {
  // Raw JSON text: JSON.stringify would escape nothing unusual, the device sends the escapes itself.
  const raw = (s: string): Buffer => Buffer.from(s, 'utf8');

  it('removes U+0000 and replaces lone surrogates in event data (values and keys), and counts what it changed', () => {
    const r = decodeMessage(
      streetlight,
      'event',
      raw('{"event":"lampFailure","active":true,"data":{"note":"a\\u0000b","bad\\ud800key":"x\\udc00y","pair":"\\ud83d\\udca1"}}'),
      RECEIVED,
      LIMITS,
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.sanitized).toBe(3);
    const v = r.value;
    if (v.type !== 'event') throw new Error('not an event');
    expect(v.data).toEqual({ note: 'ab', 'bad\uFFFDkey': 'x\uFFFDy', pair: '💡' });
    // What is left is storable: no NUL, and JSON text without lone-surrogate escapes.
    expect(JSON.stringify(v.data)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('leaves clean messages untouched (sanitized = 0)', () => {
    const r = decode(streetlight, 'event', { event: 'lampFailure', active: true, data: { note: 'Đèn hỏng 💡' } });
    expect(r.ok && r.sanitized).toBe(0);
  });

  it('needs no \\u escape to be clean: raw NUL is not JSON, encoded surrogates and invalid UTF-8 arrive as U+FFFD', () => {
    // The walk runs only for payloads with a `\u` escape (the hot path skips it); these are the other ways in.
    const nul = Buffer.concat([raw('{"online":true,"firmware":"1.0'), Buffer.from([0]), raw('"}')]);
    expect(decodeMessage(streetlight, 'status', nul, RECEIVED, LIMITS)).toMatchObject({ ok: false, code: 'MALFORMED_JSON' });
    // ED A0 80 is U+D800 encoded as if it were a character (CESU-8); FF is never UTF-8.
    const surrogate = Buffer.concat([raw('{"id":"c1","status":"error","error":"bad '), Buffer.from([0xed, 0xa0, 0x80, 0xff]), raw('"}')]);
    const a = decodeMessage(streetlight, 'ack', surrogate, RECEIVED, LIMITS);
    if (!a.ok || a.value.type !== 'ack') throw new Error('ack refused');
    expect(a.value.error).toMatch(/^bad \uFFFD+$/);
    expect(JSON.stringify(a.value)).not.toMatch(/\\ud[89a-f]/i);
    // An escaped backslash before a `u` is text, not an escape: kept as sent (the walk may run, and changes nothing).
    const text = decodeMessage(streetlight, 'status', raw('{"online":true,"firmware":"C:\\\\u0000"}'), RECEIVED, LIMITS);
    expect(text.ok && text.sanitized).toBe(0);
    if (text.ok && text.value.type === 'status') expect(text.value.info.firmware).toBe('C:\\u0000');
  });

  it('cleans the status info and the ack error too', () => {
    const s = decodeMessage(streetlight, 'status', raw('{"online":true,"firmware":"1.0\\u0000"}'), RECEIVED, LIMITS);
    expect(s.ok && s.sanitized).toBe(1);
    const a = decodeMessage(streetlight, 'ack', raw('{"id":"c1","status":"error","error":"bad \\udfff"}'), RECEIVED, LIMITS);
    if (!a.ok || a.value.type !== 'ack') throw new Error('ack refused');
    expect(a.value.error).toBe('bad \uFFFD');
  });

  it.each([
    ['a counter at 1e308', { metrics: { energy: 1e308 } }],
    ['a counter above its declared maximum', { metrics: { energy: 1_000_001 } }],
    ['a negative counter', { metrics: { operatingHours: -1 } }],
  ])('dead-letters %s as OUT_OF_RANGE', (_what, body) => {
    const r = decode(streetlight, 'telemetry', body);
    expect(code(r)).toBe('OUT_OF_RANGE');
    expect(r.ok ? '' : r.reason).toMatch(/outside 0\.\./);
  });

  it.each([
    ['event data', 'event', { event: 'lampFailure', active: true, data: { count: 1e308 } }, /data\.count/],
    ['status info', 'status', { online: true, uptimeS: -1e300 }, /status\.uptimeS/],
    ['an ack result', 'ack', { id: 'c1', status: 'ok', result: { n: [1, 1e16] } }, /result\.n\[1\]/],
  ] as const)('dead-letters a huge number in %s as OUT_OF_RANGE with its path', (_what, channel, body, where) => {
    const r = decode(streetlight, channel, body);
    expect(code(r)).toBe('OUT_OF_RANGE');
    expect(r.ok ? '' : r.reason).toMatch(where);
  });
});

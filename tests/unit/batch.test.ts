import { describe, expect, it } from 'vitest';
import { batchSize, emptyBatch, isoTime, mergeStates, payloadForStorage, sanitizeBatch, splitBatch } from '../../services/ingest/batch.ts';

const LIMIT = 4096;

/** The bytes a stored payload stands for, whichever form it was kept in. */
function storedBytes(stored: string): Buffer {
  return stored.startsWith('base64:') ? Buffer.from(stored.slice('base64:'.length), 'base64') : Buffer.from(stored, 'utf8');
}

describe('payloadForStorage', () => {
  it('keeps UTF-8 text as it is, Vietnamese included', () => {
    const text = '{"ward":"Phường Phước Long","msg":"Đèn hỏng"}';
    expect(payloadForStorage(Buffer.from(text, 'utf8'))).toBe(text);
  });

  it('stores binary (invalid UTF-8) as base64', () => {
    const bin = Buffer.from([0xff, 0xfe, 0x80, 0x01, 0x02]);
    const stored = payloadForStorage(bin);
    expect(stored).toBe(`base64:${bin.toString('base64')}`);
    expect(storedBytes(stored)).toEqual(bin);
  });

  it('stores text containing NUL as base64, so it survives a text column', () => {
    const stored = payloadForStorage(Buffer.from('abc\u0000def'));
    expect(stored.startsWith('base64:')).toBe(true);
    expect(storedBytes(stored).toString('utf8')).toBe('abc\u0000def');
  });

  it('truncates text at 4 KiB', () => {
    const stored = payloadForStorage(Buffer.from('a'.repeat(10_000)));
    expect(stored).toBe('a'.repeat(LIMIT));
  });

  it('keeps exactly 4 KiB of text unchanged', () => {
    expect(payloadForStorage(Buffer.from('b'.repeat(LIMIT)))).toHaveLength(LIMIT);
  });

  it('truncates binary at 4 KiB before encoding', () => {
    const bin = Buffer.alloc(10_000, 0xff);
    expect(storedBytes(payloadForStorage(bin))).toEqual(bin.subarray(0, LIMIT));
  });

  it('keeps the first 4 KiB even when the cut splits a multi-byte character', () => {
    const buf = Buffer.from(`${'a'.repeat(LIMIT - 1)}ư and more`, 'utf8'); // 'ư' is 2 bytes, cut after the first
    expect(storedBytes(payloadForStorage(buf))).toEqual(buf.subarray(0, LIMIT));
  });
});

describe('batch', () => {
  it('counts rows of every kind', () => {
    const b = emptyBatch();
    expect(batchSize(b)).toBe(0);
    b.telemetry.push({ time: 't', deviceId: 'd', data: { x: 1 } });
    b.events.push({ time: 't', deviceId: 'd', event: 'e', active: null, severity: 'info', data: {} });
    b.deadLetters.push({ receivedAt: 't', deviceId: null, topic: 'x', reasonCode: 'MALFORMED_JSON', reason: 'r', payload: '', payloadSize: 0 });
    expect(batchSize(b)).toBe(3);
    expect(batchSize(emptyBatch())).toBe(0); // a fresh batch shares nothing with the old one
  });
});

describe('mergeStates', () => {
  it('folds one device’s rows into one, newer readings winning and last_seen the latest', () => {
    const out = mergeStates([
      { deviceId: 'b', state: { x: 1 }, stateAt: '2026-01-01T00:00:02.000Z', lastSeen: '2026-01-01T00:00:02.000Z' },
      { deviceId: 'a', state: { y: 1 }, stateAt: null, lastSeen: '2026-01-01T00:00:01.000Z' },
      { deviceId: 'b', state: { x: 0, z: 3 }, stateAt: '2026-01-01T00:00:01.000Z', lastSeen: '2026-01-01T00:00:05.000Z' },
    ]);
    expect(out.map((s) => s.deviceId)).toEqual(['a', 'b']);
    expect(out[1]).toEqual({ deviceId: 'b', state: { x: 1, z: 3 }, stateAt: '2026-01-01T00:00:02.000Z', lastSeen: '2026-01-01T00:00:05.000Z' });
  });
});

describe('sanitizeBatch / splitBatch', () => {
  it('escapes NUL in every string and returns the same object when nothing needs it', () => {
    const clean = emptyBatch();
    clean.events.push({ time: 't', deviceId: 'd', event: 'e', active: true, severity: 'minor', data: { a: 'b' } });
    expect(sanitizeBatch(clean)).toBe(clean);
    const dirty = emptyBatch();
    dirty.events.push({ time: 't', deviceId: 'd', event: 'e\u0000', active: true, severity: 'minor', data: { ['k\u0000']: ['v\u0000'] } });
    const s = sanitizeBatch(dirty);
    expect(s.events[0]).toMatchObject({ event: 'e\\u0000', data: { 'k\\u0000': ['v\\u0000'] } });
    expect(dirty.events[0]!.event).toBe('e\u0000');
  });

  it('splits a batch into two halves that together hold every row', () => {
    const b = emptyBatch();
    for (let i = 0; i < 3; i++) b.telemetry.push({ time: `t${i}`, deviceId: 'd', data: { p: i } });
    b.statuses.push({ time: 't', deviceId: 'd', online: true, reason: 'birth' });
    const [x, y] = splitBatch(b);
    expect(batchSize(x) + batchSize(y)).toBe(4);
    expect([...x.telemetry, ...y.telemetry]).toEqual(b.telemetry);
    expect(y.statuses).toEqual(b.statuses);
  });
});

describe('isoTime', () => {
  it('formats exactly as Date.prototype.toISOString, across hours, days, years and edge values', () => {
    const samples = [
      0,
      1,
      999,
      59_999,
      3_599_999,
      3_600_000,
      Date.parse('2026-11-27T23:59:59.999Z'),
      Date.parse('2026-11-28T00:00:00.000Z'),
      Date.parse('2028-02-29T12:34:56.007Z'),
      253402300799999,
      253402300800000,
      -1,
      -86_400_001,
      Date.parse('1969-12-31T23:59:59.990Z'),
    ];
    let x = 0x2545f491;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      samples.push(Date.parse('2026-01-01T00:00:00Z') + (x % (400 * 86_400_000)));
    }
    for (const ms of samples) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });
});

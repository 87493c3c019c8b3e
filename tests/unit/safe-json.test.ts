import { describe, expect, it } from 'vitest';
import { parseJsonBounded } from '../../services/common/safe-json.ts';

const L = { maxDepth: 4, maxBytes: 1 << 20 };

describe('parseJsonBounded', () => {
  it('parses documents within the limits, from bytes or text', () => {
    expect(parseJsonBounded('{"a":[1,{"b":[2]}]}', L)).toEqual({ ok: true, value: { a: [1, { b: [2] }] } });
    expect(parseJsonBounded(Buffer.from('[[[["x"]]]]'), L)).toEqual({ ok: true, value: [[[['x']]]] });
    expect(parseJsonBounded('42', L)).toEqual({ ok: true, value: 42 });
  });

  it('refuses nesting deeper than maxDepth without parsing it (7,000 levels: no stack overflow)', () => {
    expect(parseJsonBounded('[[[[[1]]]]]', L)).toMatchObject({ ok: false, code: 'TOO_DEEP' });
    const hostile = `${'{"a":'.repeat(7000)}1${'}'.repeat(7000)}`;
    expect(parseJsonBounded(hostile, L)).toMatchObject({ ok: false, code: 'TOO_DEEP', reason: 'JSON nested deeper than 4 levels' });
    // Unterminated nesting is refused by depth too, not by a parse error deep inside.
    expect(parseJsonBounded('['.repeat(100_000), L)).toMatchObject({ ok: false, code: 'TOO_DEEP' });
  });

  it('decides depth the same way whether or not the payload has few brackets (the fast path)', () => {
    // At most maxDepth openings: nothing can nest deeper, the scan is skipped; one more: the scan decides.
    expect(parseJsonBounded('[[[[1]]]]', L)).toEqual({ ok: true, value: [[[[1]]]] });
    expect(parseJsonBounded('[[[[[1]]]]]', L)).toMatchObject({ ok: false, code: 'TOO_DEEP' });
    expect(parseJsonBounded('{"a":[1],"b":{"c":[2]},"d":[3]}', L)).toEqual({ ok: true, value: { a: [1], b: { c: [2] }, d: [3] } });
    expect(parseJsonBounded(Buffer.from('{"s":"[[[[[[","t":{"u":{"v":{"w":{}}}}}'), L)).toMatchObject({ ok: false, code: 'TOO_DEEP' });
    // A Uint8Array that is not a Buffer, and a view into a larger buffer, are read as their own bytes only.
    const backing = Buffer.from('xx[[1]]yy');
    expect(parseJsonBounded(new Uint8Array(backing.buffer, backing.byteOffset + 2, 5), L)).toEqual({ ok: true, value: [[1]] });
    expect(parseJsonBounded(backing.subarray(2, 7), L)).toEqual({ ok: true, value: [[1]] });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: '[[[[[[{{{{{"\\"[[[[[', t: ['\\'] });
    expect(parseJsonBounded(text, L)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('refuses input over maxBytes, counted in UTF-8 bytes', () => {
    expect(parseJsonBounded('"ăăă"', { maxDepth: 4, maxBytes: 7 })).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    expect(parseJsonBounded('"ăă"', { maxDepth: 4, maxBytes: 6 })).toEqual({ ok: true, value: 'ăă' });
  });

  it('refuses more elements than maxNodes', () => {
    const wide = JSON.stringify(Array.from({ length: 1000 }, (_, i) => i));
    expect(parseJsonBounded(wide, { ...L, maxNodes: 100 })).toMatchObject({ ok: false, code: 'TOO_MANY_NODES' });
    expect(parseJsonBounded(wide, { ...L, maxNodes: 1000 }).ok).toBe(true);
  });

  it('reports malformed JSON instead of throwing', () => {
    expect(parseJsonBounded('{"a":', L)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(parseJsonBounded(Buffer.from([0xff, 0xfe]), L)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});

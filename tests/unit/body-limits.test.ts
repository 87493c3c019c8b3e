import { describe, expect, it } from 'vitest';
import { BodyRefused, jsonDepth, parseBody } from '../../services/api/body-limits.ts';
import { mapInputError } from '../../services/api/validation.ts';

const reason = (text: string, limits?: { maxDepth: number; maxKeys: number }): string => {
  try {
    parseBody(text, limits);
  } catch (err) {
    if (err instanceof BodyRefused) return err.reason;
    throw err;
  }
  return 'accepted';
};

describe('HTTP JSON body limits', () => {
  it('measures nesting on the raw text, ignoring brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}', 99)).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{\\"]]]"}', 99)).toBe(1);
    expect(jsonDepth('['.repeat(100_000), 16)).toBe(17);
  });

  it('refuses a body nested deeper than the limit before parsing it', () => {
    const nest = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    expect(reason(nest(16))).toBe('accepted');
    expect(reason(nest(17))).toBe('too_deep');
    expect(reason('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toBe('too_deep');
  });

  it('refuses NUL in values and keys, huge numbers, prototype keys and non-object bodies', () => {
    expect(reason('{"name":"a\\u0000b"}')).toBe('nul_character');
    expect(reason('{"tags":["ok","\\u0000"]}')).toBe('nul_character');
    expect(reason('{"a\\u0000":1}')).toBe('nul_character');
    expect(reason('{"n":9223372036854775808}')).toBe('number_out_of_range');
    expect(reason('{"n":-1e308}')).toBe('number_out_of_range');
    expect(reason('{"n":9007199254740991,"lat":12.5}')).toBe('accepted');
    expect(reason('{"__proto__":{"polluted":1}}')).toBe('forbidden_key');
    expect(reason('{"x":{"constructor":{"prototype":{"polluted":1}}}}')).toBe('forbidden_key');
    expect(reason('{"constructor":"a name"}')).toBe('accepted');
    for (const raw of ['null', '"x"', '0', 'true']) expect(reason(raw), raw).toBe('not_object');
    expect(reason('[]')).toBe('accepted');
    expect(reason('{"a":')).toBe('malformed_json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds the number of fields and items', () => {
    expect(reason(JSON.stringify({ a: Array.from({ length: 50 }, (_, i) => i) }), { maxDepth: 16, maxKeys: 40 })).toBe('too_many_keys');
    expect(reason(JSON.stringify({ a: [1, 2, 3] }), { maxDepth: 16, maxKeys: 40 })).toBe('accepted');
  });

  it("maps PostgreSQL's data exceptions to the caller's error and nothing else", () => {
    expect(mapInputError({ code: '22003' })?.reason).toBe('db_out_of_range');
    expect(mapInputError({ code: '22021' })?.reason).toBe('db_bad_text');
    expect(mapInputError({ code: '22P02' })?.reason).toBe('db_bad_value');
    expect(mapInputError({ code: '23505' })).toBeNull();
    expect(mapInputError({ code: '57014' })).toBeNull();
    expect(mapInputError(new Error('boom'))).toBeNull();
  });
});

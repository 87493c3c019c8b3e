import { describe, expect, it } from 'vitest';
import { ALL_WARDS, defaultWard, noteWard, openScope, requireWard, scopedWards, visibleOrNull, wardVisible } from '../../services/auth/ward-scope.ts';

const inScope = <T>(wards: string[] | 'all', fn: () => T): T => {
  let out: T | undefined;
  openScope(wards === 'all' ? ALL_WARDS : { all: false, wards }).run(() => {
    out = fn();
  });
  return out as T;
};

describe('ward scope', () => {
  it('outside any request the service sees every ward', () => {
    expect(scopedWards()).toBeNull();
    expect(wardVisible('22331')).toBe(true);
    expect(() => requireWard('22331')).not.toThrow();
  });

  it('a ward-limited caller sees their wards; another ward is absent (null) or, named, refused with 403', () => {
    inScope(['22330'], () => {
      expect(scopedWards()).toEqual(['22330']);
      expect(visibleOrNull({ id: 'a', wardCode: '22330' })).toEqual({ id: 'a', wardCode: '22330' });
      expect(visibleOrNull({ id: 'b', wardCode: '22331' })).toBeNull();
      expect(() => requireWard('22331')).toThrow(expect.objectContaining({ statusCode: 403, code: 'WARD_FORBIDDEN' }));
    });
  });

  it('the scope follows awaits and timers started inside it, and ends with the request', async () => {
    const handle = openScope({ all: false, wards: ['22330'] });
    let later: readonly string[] | null | undefined;
    let afterEnd: readonly string[] | null | undefined;
    await new Promise<void>((resolve) =>
      handle.run(() => {
        void (async () => {
          await new Promise((r) => setTimeout(r, 5));
          later = scopedWards();
          noteWard('22330');
          handle.end();
          setTimeout(() => {
            afterEnd = scopedWards();
            resolve();
          }, 5);
        })();
      }),
    );
    expect(later).toEqual(['22330']);
    expect(afterEnd).toBeNull();
    expect(handle.touched()).toEqual(['22330']);
  });

  it("the default ward is the configured one when visible, else the caller's only ward", () => {
    expect(defaultWard('22330')).toBe('22330');
    expect(inScope('all', () => defaultWard('22330'))).toBe('22330');
    expect(inScope(['22331'], () => defaultWard('22330'))).toBe('22331');
    expect(inScope(['22330', '22331'], () => defaultWard('22330'))).toBe('22330');
  });
});

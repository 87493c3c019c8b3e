import { describe, expect, it } from 'vitest';
import { splitAtRollup } from '../../services/health/indicators/indicators.repository.ts';

const H = 3600_000;
const T0 = Date.UTC(2026, 2, 1);

describe('splitAtRollup: whole rollup hours before the mark, raw rows for the rest', () => {
  it('reads an hour-aligned window from the rollup up to the mark and the real-time tail raw', () => {
    expect(splitAtRollup(T0, T0 + 10 * H + 1234, T0 + 9 * H)).toEqual({ rollup: [T0, T0 + 9 * H], raw: [[T0 + 9 * H, T0 + 10 * H + 1234]] });
  });

  it('reads a past window wholly from the rollup when the mark is after it', () => {
    expect(splitAtRollup(T0, T0 + 24 * H, T0 + 100 * H)).toEqual({ rollup: [T0, T0 + 24 * H], raw: [] });
  });

  it('reads an unaligned head and tail raw', () => {
    expect(splitAtRollup(T0 + 30 * 60_000, T0 + 5 * H + 5, T0 + 100 * H)).toEqual({
      rollup: [T0 + H, T0 + 5 * H],
      raw: [
        [T0 + 30 * 60_000, T0 + H],
        [T0 + 5 * H, T0 + 5 * H + 5],
      ],
    });
  });

  it('reads everything raw when the rollup is empty or stops before the window', () => {
    expect(splitAtRollup(T0, T0 + 3 * H, null)).toEqual({ rollup: null, raw: [[T0, T0 + 3 * H]] });
    expect(splitAtRollup(T0, T0 + 3 * H, T0 - H)).toEqual({ rollup: null, raw: [[T0, T0 + 3 * H]] });
  });
});

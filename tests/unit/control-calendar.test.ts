import { describe, expect, it } from 'vitest';
import { checkRules, lightingDay, programFor, type Calendar } from '../../services/control/lighting/calendar.ts';
import { fromWall } from '../../services/common/zoned-time.ts';

const TZ = 'Asia/Ho_Chi_Minh';

// Tết Nguyên Đán 2027 falls on 6 February 2027; its dates move every year, so it is a full-date rule.
const CAL: Calendar = {
  defaultProgramId: 'standard',
  rules: [
    { name: 'Tết 2027', from: '2027-02-04', to: '2027-02-10', programId: 'festival' },
    { name: 'Quốc khánh', from: '09-01', to: '09-02', programId: 'festival' },
    { name: 'Weekend nights in the dry season', from: '2027-01-01', to: '2027-04-30', weekdays: [5, 6], programId: 'weekend' },
    { name: 'Dry season', from: '2027-01-01', to: '2027-04-30', programId: 'dry-season' },
    { name: 'New Year', from: '12-31', to: '01-01', programId: 'festival' },
  ],
};

describe('lighting calendars', () => {
  it('take the first matching rule: Tết wins over the weekend and season rules that also match', () => {
    expect(programFor(CAL, { y: 2027, m: 2, d: 6 })).toEqual({ programId: 'festival', rule: 0 }); // a Saturday
    expect(programFor(CAL, { y: 2027, m: 2, d: 12 })).toEqual({ programId: 'weekend', rule: 2 }); // Friday after Tết
    expect(programFor(CAL, { y: 2027, m: 2, d: 15 })).toEqual({ programId: 'dry-season', rule: 3 }); // Monday
  });

  it('apply yearly MM-DD rules every year, including a range that wraps New Year', () => {
    expect(programFor(CAL, { y: 2026, m: 9, d: 2 }).programId).toBe('festival');
    expect(programFor(CAL, { y: 2031, m: 9, d: 1 }).programId).toBe('festival');
    expect(programFor(CAL, { y: 2026, m: 12, d: 31 }).programId).toBe('festival');
    expect(programFor(CAL, { y: 2028, m: 1, d: 1 }).programId).toBe('festival');
  });

  it('fall back to the default program', () => {
    expect(programFor(CAL, { y: 2027, m: 7, d: 14 })).toEqual({ programId: 'standard', rule: null });
  });

  it('swapping two rules changes the outcome (order matters, nothing is merged)', () => {
    const swapped: Calendar = { ...CAL, rules: [CAL.rules[3], CAL.rules[0]].filter((r) => r !== undefined) };
    expect(programFor(swapped, { y: 2027, m: 2, d: 6 }).programId).toBe('dry-season');
  });

  it('read the calendar for the evening: a lighting day runs from 12:00 to 12:00 local time', () => {
    expect(lightingDay(fromWall({ y: 2027, m: 2, d: 11, h: 3 }, TZ), TZ)).toMatchObject({ y: 2027, m: 2, d: 10 });
    expect(lightingDay(fromWall({ y: 2027, m: 2, d: 11, h: 11, mi: 59 }, TZ), TZ)).toMatchObject({ d: 10 });
    expect(lightingDay(fromWall({ y: 2027, m: 2, d: 11, h: 12 }, TZ), TZ)).toMatchObject({ d: 11 });
  });

  it('refuse malformed rules with the rule number', () => {
    expect(checkRules(CAL.rules)).toBeNull();
    expect(checkRules([{ from: '2027-02-10', to: '2027-02-04', programId: 'x' }])?.message).toMatch(/rule 1: 'from' 2027-02-10 is after 'to'/);
    expect(checkRules([{ from: '2027-02-30', to: '2027-03-01', programId: 'x' }])?.index).toBe(0);
    expect(checkRules([CAL.rules[0] ?? { from: '', to: '', programId: '' }, { from: '02-01', to: '2027-03-01', programId: 'x' }])?.index).toBe(1);
    expect(checkRules([{ from: '01-01', to: '01-31', weekdays: [0], programId: 'x' }])?.message).toMatch(/weekdays/);
  });
});

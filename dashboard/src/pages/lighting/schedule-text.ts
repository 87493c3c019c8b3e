import { t } from '../../i18n.ts';
import type { Assignment, CalendarRule as Rule, LightingCalendar as Calendar, Program, ProgramStep as Step } from '../../contract.ts';
import './words.ts';

/** The lighting resources, as the API answers them (services/api/schemas/control.ts). */
export type { Assignment, Calendar, Program, Rule, Step };

/** "Hoàng hôn → 100% · 22:00 → 70% (60s)": a program step as the operator reads it. */
export const stepText = (s: Step): string => {
  const at = s.at === 'sunset' ? t('sunset') : s.at === 'sunrise' ? t('sunrise') : s.at;
  const off = s.offsetMin ? ` ${s.offsetMin > 0 ? '+' : '−'}${Math.abs(s.offsetMin)} ${t('minutes')}` : '';
  return `${at}${off} → ${s.level}%${s.rampS ? ` (${s.rampS}s)` : ''}`;
};

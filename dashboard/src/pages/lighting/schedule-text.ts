import { t } from '../../i18n.ts';
import './words.ts';

export interface Step { at: string; offsetMin?: number; level: number; rampS?: number }
export interface Program { id: string; name: string; steps: Step[]; updatedAt: string }
export interface Rule { name?: string; from: string; to: string; weekdays?: number[]; programId: string }
export interface Calendar { id: string; name: string; defaultProgramId: string; rules: Rule[]; updatedAt: string }
export interface Assignment { targetType: 'zone' | 'device' | 'ward'; targetId: string; calendarId: string | null; programId: string | null; assignedBy: string; assignedAt: string }

/** "Hoàng hôn → 100% · 22:00 → 70% (60s)": a program step as the operator reads it. */
export const stepText = (s: Step): string => {
  const at = s.at === 'sunset' ? t('sunset') : s.at === 'sunrise' ? t('sunrise') : s.at;
  const off = s.offsetMin ? ` ${s.offsetMin > 0 ? '+' : '−'}${Math.abs(s.offsetMin)} ${t('minutes')}` : '';
  return `${at}${off} → ${s.level}%${s.rampS ? ` (${s.rampS}s)` : ''}`;
};

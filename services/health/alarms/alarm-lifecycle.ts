import { conflict } from '../../common/errors.ts';
import type { AlarmSeverity } from '../../../devices/types.ts';

/**
 * The alarm lifecycle, pure: active → acknowledged → cleared (or active → cleared). At most one open alarm per device
 * and rule; the condition recurring while one is open counts an occurrence instead of opening another. A cleared
 * alarm is final: the next occurrence opens a new alarm.
 */
export type AlarmState = 'active' | 'acknowledged' | 'cleared';

export interface Alarm {
  id: number;
  deviceId: string;
  kind: string;
  rule: string;
  severity: AlarmSeverity;
  state: AlarmState;
  message: { vi: string; en: string };
  details: Record<string, unknown>;
  raisedAt: string;
  lastRaisedAt: string;
  occurrences: number;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
  clearReason: string | null;
}

export type NewAlarm = Omit<Alarm, 'id'>;

export interface RaiseInput {
  deviceId: string;
  kind: string;
  rule: string;
  severity: AlarmSeverity;
  message: { vi: string; en: string };
  details: Record<string, unknown>;
  at: number;
}

export type RaiseOutcome = { created: true; alarm: NewAlarm } | { created: false; alarm: Alarm };

const SEVERITY_RANK: Record<AlarmSeverity, number> = { info: 0, warning: 1, critical: 2 };

export const severityAtLeast = (s: AlarmSeverity, min: AlarmSeverity): boolean => SEVERITY_RANK[s] >= SEVERITY_RANK[min];

export function raise(open: Alarm | null, input: RaiseInput): RaiseOutcome {
  const at = new Date(input.at).toISOString();
  if (open && open.state !== 'cleared') {
    // De-duplication: same device and rule still open. Severity only goes up (an escalated threshold).
    const severity = SEVERITY_RANK[input.severity] > SEVERITY_RANK[open.severity] ? input.severity : open.severity;
    return {
      created: false,
      alarm: { ...open, severity, lastRaisedAt: at, occurrences: open.occurrences + 1, details: { ...open.details, ...input.details } },
    };
  }
  return {
    created: true,
    alarm: {
      deviceId: input.deviceId,
      kind: input.kind,
      rule: input.rule,
      severity: input.severity,
      state: 'active',
      message: input.message,
      details: input.details,
      raisedAt: at,
      lastRaisedAt: at,
      occurrences: 1,
      acknowledgedAt: null,
      acknowledgedBy: null,
      ackNote: null,
      clearedAt: null,
      clearedBy: null,
      clearReason: null,
    },
  };
}

/** An operator takes ownership. Acknowledging twice or after clearing is a conflict the caller is told about. */
export function acknowledge(a: Alarm, by: string, note: string | null, at: number): Alarm {
  if (a.state === 'cleared') throw conflict('ALARM_CLEARED', `Alarm ${a.id} is already cleared`);
  if (a.state === 'acknowledged') throw conflict('ALARM_ACKNOWLEDGED', `Alarm ${a.id} was already acknowledged by ${a.acknowledgedBy ?? '?'}`);
  return { ...a, state: 'acknowledged', acknowledgedAt: new Date(at).toISOString(), acknowledgedBy: by, ackNote: note };
}

/** Ends the alarm: by the condition going away (`by` = 'system') or by an operator. */
export function clear(a: Alarm, by: string, reason: string, at: number): Alarm {
  if (a.state === 'cleared') throw conflict('ALARM_CLEARED', `Alarm ${a.id} is already cleared`);
  return { ...a, state: 'cleared', clearedAt: new Date(at).toISOString(), clearedBy: by, clearReason: reason };
}

import { notFound } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { AlarmSeverity } from '../../../devices/types.ts';
import { acknowledge, clear, raise, type Alarm } from './alarm-lifecycle.ts';
import type { AlarmEvaluator, Decision } from './alarm-evaluator.ts';
import type { AlarmStore } from './alarm.repository.ts';

export type AlarmEvent = 'alarm.raised' | 'alarm.acknowledged' | 'alarm.cleared';

export interface AlarmServiceOptions {
  store: AlarmStore;
  evaluator: AlarmEvaluator;
  log: Logger;
  ward: { code: string; name: string };
  clock?: () => number;
  /** Called after a change is committed (the webhook dispatcher wakes up; metrics count). */
  onChange?: (event: AlarmEvent, alarm: Alarm) => void;
}

/**
 * Applies alarm decisions and operator actions through the pure lifecycle, one at a time (so two reports of the same
 * fault cannot both open an alarm; the database's unique index on open alarms is the backstop across processes).
 * Each change and its webhook notifications commit together.
 */
export class AlarmService {
  private readonly o: AlarmServiceOptions;
  private readonly clock: () => number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(o: AlarmServiceOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Applies evaluator decisions; a failing one is logged and does not stop the rest. */
  async apply(decisions: readonly Decision[]): Promise<void> {
    for (const d of decisions) {
      try {
        if (d.action === 'raise')
          await this.raise({
            deviceId: d.deviceId,
            kind: d.rule.kind,
            rule: d.rule.rule,
            severity: d.rule.severity,
            label: d.rule.label,
            details: d.details,
            at: d.at,
          });
        else await this.clearByCondition(d.deviceId, d.rule.rule, d.reason ?? 'condition ended', d.at);
      } catch (err) {
        this.o.log.error({ err, deviceId: d.deviceId, rule: d.rule.rule }, 'alarm decision failed');
      }
    }
  }

  raise(i: {
    deviceId: string;
    kind: string;
    rule: string;
    severity: AlarmSeverity;
    label: { vi: string; en: string };
    details: Record<string, unknown>;
    at: number;
  }): Promise<{ alarm: Alarm; created: boolean }> {
    return this.serialized(async () => {
      const message = { vi: `${i.label.vi} — ${i.deviceId}`, en: `${i.label.en} — ${i.deviceId}` };
      const result = await this.o.store.atomically(async (tx) => {
        const open = await tx.findOpen(i.deviceId, i.rule);
        const r = raise(open, { deviceId: i.deviceId, kind: i.kind, rule: i.rule, severity: i.severity, message, details: i.details, at: i.at });
        if (!r.created) {
          await tx.update(r.alarm);
          return { alarm: r.alarm, created: false };
        }
        const alarm = await tx.insert(r.alarm);
        await tx.enqueue(alarm, 'alarm.raised', this.payload('alarm.raised', alarm));
        return { alarm, created: true };
      });
      this.o.evaluator.markOpen(i.deviceId, i.rule, true);
      if (result.created) {
        this.o.log.warn({ alarmId: result.alarm.id, deviceId: i.deviceId, rule: i.rule, severity: result.alarm.severity }, 'alarm raised');
        this.o.onChange?.('alarm.raised', result.alarm);
      }
      return result;
    });
  }

  /** The condition went away: clears the open alarm of this device and rule, if any. */
  clearByCondition(deviceId: string, rule: string, reason: string, at: number): Promise<Alarm | null> {
    return this.serialized(async () => {
      const cleared = await this.o.store.atomically(async (tx) => {
        const open = await tx.findOpen(deviceId, rule);
        if (!open) return null;
        const a = clear(open, 'system', reason, at);
        await tx.update(a);
        await tx.enqueue(a, 'alarm.cleared', this.payload('alarm.cleared', a));
        return a;
      });
      this.o.evaluator.markOpen(deviceId, rule, false);
      if (cleared) {
        this.o.log.info({ alarmId: cleared.id, deviceId, rule, reason }, 'alarm cleared');
        this.o.onChange?.('alarm.cleared', cleared);
      }
      return cleared;
    });
  }

  acknowledge(id: number, by: string, note: string | null): Promise<Alarm> {
    return this.operatorAction(id, 'alarm.acknowledged', (a) => acknowledge(a, by, note, this.clock()));
  }

  clear(id: number, by: string, reason: string | null): Promise<Alarm> {
    return this.operatorAction(id, 'alarm.cleared', (a) => clear(a, by, reason ?? 'cleared by operator', this.clock()));
  }

  private operatorAction(id: number, event: AlarmEvent, change: (a: Alarm) => Alarm): Promise<Alarm> {
    return this.serialized(async () => {
      const a = await this.o.store.atomically(async (tx) => {
        const current = await tx.get(id);
        if (!current) throw notFound('Alarm', String(id));
        const next = change(current);
        await tx.update(next);
        await tx.enqueue(next, event, this.payload(event, next));
        return next;
      });
      if (a.state === 'cleared') this.o.evaluator.markOpen(a.deviceId, a.rule, false);
      this.o.onChange?.(event, a);
      return a;
    });
  }

  private payload(event: AlarmEvent, alarm: Alarm): Record<string, unknown> {
    return { event, ward: this.o.ward, alarm };
  }

  /** Waits for queued changes (shutdown, tests). */
  async idle(): Promise<void> {
    await this.queue;
  }
}

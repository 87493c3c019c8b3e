import type { EffectiveRule } from './alarm-rules.ts';

/**
 * Turns device data into alarm decisions, pure (time comes with the data). It remembers which alarms it believes
 * open (seeded from the database at start, kept in step by the alarm service) so a persisting condition does not
 * raise again on every report, and streaks of bad/good readings for threshold rules.
 */
export interface Decision {
  action: 'raise' | 'clear';
  deviceId: string;
  rule: EffectiveRule;
  at: number;
  details: Record<string, unknown>;
  reason?: string;
}

export interface DeviceFacts {
  kind: string;
  asset: Record<string, unknown>;
}

interface Streak {
  bad: number;
  good: number;
}

const keyOf = (deviceId: string, rule: string): string => `${deviceId}/${rule}`;

export class AlarmEvaluator {
  private rulesByKind = new Map<string, EffectiveRule[]>();
  private readonly open = new Set<string>();
  private readonly streaks = new Map<string, Streak>();

  setRules(rules: readonly EffectiveRule[]): void {
    const m = new Map<string, EffectiveRule[]>();
    for (const r of rules) {
      if (!r.enabled) continue;
      const list = m.get(r.kind) ?? [];
      list.push(r);
      m.set(r.kind, list);
    }
    this.rulesByKind = m;
  }

  rulesOf(kind: string): EffectiveRule[] {
    return this.rulesByKind.get(kind) ?? [];
  }

  markOpen(deviceId: string, rule: string, open: boolean): void {
    if (open) this.open.add(keyOf(deviceId, rule));
    else this.open.delete(keyOf(deviceId, rule));
  }

  /** Whether any alarm of this device is believed open (cheap check before looking anything up). */
  hasOpen(deviceId: string): boolean {
    for (const k of this.open) if (k.startsWith(`${deviceId}/`)) return true;
    return false;
  }

  isOpen(deviceId: string, rule: string): boolean {
    return this.open.has(keyOf(deviceId, rule));
  }

  /** A device event: faults raise on active=true and clear on active=false. */
  onEvent(deviceId: string, facts: DeviceFacts, e: { event: string; active: boolean | null; at: number; data: Record<string, unknown> }): Decision[] {
    const out: Decision[] = [];
    for (const rule of this.rulesOf(facts.kind)) {
      if (rule.trigger.type !== 'fault' || rule.trigger.event !== e.event || e.active === null) continue;
      out.push(
        e.active
          ? { action: 'raise', deviceId, rule, at: e.at, details: { event: e.event, ...e.data } }
          : { action: 'clear', deviceId, rule, at: e.at, details: {}, reason: 'device reported the fault cleared' },
      );
    }
    return out;
  }

  /** One telemetry report: threshold and deviation rules count consecutive bad/good readings. */
  onTelemetry(deviceId: string, facts: DeviceFacts, at: number, data: Record<string, number>): Decision[] {
    const out: Decision[] = [];
    for (const rule of this.rulesOf(facts.kind)) {
      const judged = judge(rule, data, facts.asset);
      if (judged === null) continue;
      const key = keyOf(deviceId, rule.rule);
      const s = this.streaks.get(key) ?? { bad: 0, good: 0 };
      if (judged.bad) {
        s.bad++;
        s.good = 0;
      } else {
        s.good++;
        s.bad = 0;
      }
      this.streaks.set(key, s);
      const need = 'consecutive' in rule.trigger ? rule.trigger.consecutive : 1;
      if (judged.bad && s.bad >= need && !this.open.has(key)) out.push({ action: 'raise', deviceId, rule, at, details: judged.details });
      if (!judged.bad && s.good >= need && this.open.has(key))
        out.push({ action: 'clear', deviceId, rule, at, details: {}, reason: `${need} good reading(s) in a row` });
    }
    return out;
  }

  /** Devices offline since `since`: rules whose afterS has passed raise (unless suppressed: flapping, maintenance). */
  onOffline(list: readonly { deviceId: string; kind: string; since: number }[], now: number, suppressed: (deviceId: string) => boolean): Decision[] {
    const out: Decision[] = [];
    for (const d of list) {
      for (const rule of this.rulesOf(d.kind)) {
        if (rule.trigger.type !== 'offline' || this.open.has(keyOf(d.deviceId, rule.rule))) continue;
        if (now - d.since < rule.trigger.afterS * 1000 || suppressed(d.deviceId)) continue;
        out.push({ action: 'raise', deviceId: d.deviceId, rule, at: now, details: { offlineSince: new Date(d.since).toISOString() } });
      }
    }
    return out;
  }

  /** The device is back: its open offline alarms clear. */
  onOnline(deviceId: string, kind: string, at: number): Decision[] {
    return this.rulesOf(kind)
      .filter((r) => r.trigger.type === 'offline' && this.open.has(keyOf(deviceId, r.rule)))
      .map((rule) => ({ action: 'clear', deviceId, rule, at, details: {}, reason: 'device is back online' }));
  }

  forget(deviceId: string): void {
    for (const k of [...this.streaks.keys()]) if (k.startsWith(`${deviceId}/`)) this.streaks.delete(k);
  }
}

/** Bad or good for one reading, or null when the rule cannot judge it (metric absent, expected draw too small). */
export function judge(
  rule: EffectiveRule,
  data: Record<string, number>,
  asset: Record<string, unknown>,
): { bad: boolean; details: Record<string, unknown> } | null {
  const t = rule.trigger;
  switch (t.type) {
    case 'fault':
    case 'offline':
      return null;
    case 'metric': {
      const v = data[t.metric];
      if (v === undefined) return null;
      return { bad: t.op === 'above' ? v > t.value : v < t.value, details: { metric: t.metric, value: v, threshold: t.value, op: t.op } };
    }
    case 'deviation': {
      const v = data[t.metric];
      const scale = data[t.scaleMetric];
      if (v === undefined || scale === undefined) return null;
      const rated = typeof asset[t.assetKey] === 'number' && (asset[t.assetKey] as number) > 0 ? (asset[t.assetKey] as number) : t.defaultValue;
      const expected = (rated * scale) / t.scaleMax;
      if (expected < t.minExpected) return null;
      const ratio = v / expected;
      return {
        bad: Math.abs(ratio - 1) > t.tolerance,
        details: { metric: t.metric, value: v, expected: Math.round(expected * 100) / 100, deviation: Math.round((ratio - 1) * 1000) / 1000 },
      };
    }
  }
}

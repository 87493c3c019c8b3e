import { badRequest, notFound } from '../../common/errors.ts';
import { DEVICE_KINDS, getKind } from '../../../devices/index.ts';
import type { AlarmRuleSpec, AlarmSeverity, AlarmTrigger, DeviceKind } from '../../../devices/types.ts';

/** An operator's override of one rule, as stored (alarm_rule_settings). */
export interface RuleOverride {
  kind: string;
  rule: string;
  enabled: boolean | null;
  severity: AlarmSeverity | null;
  params: Record<string, number>;
}

export interface EffectiveRule {
  kind: string;
  rule: string;
  label: { vi: string; en: string };
  severity: AlarmSeverity;
  enabled: boolean;
  trigger: AlarmTrigger;
  /** The kind's declared default, for comparison in the API. */
  defaults: AlarmRuleSpec;
  overridden: boolean;
}

/** Kind name used for rules that apply to every kind (flapping). */
export const ANY_KIND = '*';
export const FLAPPING_RULE = 'flapping';

/** Rule settings not tied to a kind's declaration; flapping's thresholds are the detector's. */
export interface FlappingRule {
  severity: AlarmSeverity;
  enabled: boolean;
  maxChanges: number;
  windowS: number;
}

/** Trigger fields an operator may tune: the numbers. */
export function tunableParams(t: AlarmTrigger): string[] {
  return Object.entries(t)
    .filter(([, v]) => typeof v === 'number')
    .map(([k]) => k);
}

export function checkParams(t: AlarmTrigger, params: Record<string, number>): void {
  const allowed = tunableParams(t);
  for (const [k, v] of Object.entries(params)) {
    if (!allowed.includes(k)) throw badRequest('UNKNOWN_PARAM', `'${k}' is not a tunable parameter of this rule; tunable: ${allowed.join(', ') || 'none'}`);
    if (!Number.isFinite(v) || v < 0) throw badRequest('BAD_PARAM', `'${k}' must be a number ≥ 0`);
    if (k === 'consecutive' && (!Number.isInteger(v) || v < 1)) throw badRequest('BAD_PARAM', `'consecutive' must be an integer ≥ 1`);
  }
}

function merge(kind: DeviceKind, rule: string, spec: AlarmRuleSpec, o: RuleOverride | undefined): EffectiveRule {
  return {
    kind: kind.name,
    rule,
    label: spec.label,
    severity: o?.severity ?? spec.severity,
    enabled: o?.enabled ?? spec.enabled ?? true,
    trigger: { ...spec.trigger, ...(o?.params ?? {}) } as AlarmTrigger,
    defaults: spec,
    overridden: o !== undefined,
  };
}

/** Every kind's rules with the operators' overrides applied. */
export function effectiveRules(overrides: readonly RuleOverride[]): EffectiveRule[] {
  const byKey = new Map(overrides.map((o) => [`${o.kind}/${o.rule}`, o]));
  const out: EffectiveRule[] = [];
  for (const k of DEVICE_KINDS) {
    for (const [rule, spec] of Object.entries(k.alarms ?? {})) out.push(merge(k, rule, spec, byKey.get(`${k.name}/${rule}`)));
  }
  return out;
}

export function flappingRule(overrides: readonly RuleOverride[], defaults: FlappingRule): FlappingRule {
  const o = overrides.find((x) => x.kind === ANY_KIND && x.rule === FLAPPING_RULE);
  return {
    severity: o?.severity ?? defaults.severity,
    enabled: o?.enabled ?? defaults.enabled,
    maxChanges: o?.params.maxChanges ?? defaults.maxChanges,
    windowS: o?.params.windowS ?? defaults.windowS,
  };
}

/** Validates an override before it is stored: the rule must exist and the params must be its tunable numbers. */
export function validateOverride(kind: string, rule: string, params: Record<string, number>): void {
  if (kind === ANY_KIND) {
    if (rule !== FLAPPING_RULE) throw notFound('Alarm rule', `${kind}/${rule}`);
    for (const [k, v] of Object.entries(params)) {
      if (k !== 'maxChanges' && k !== 'windowS')
        throw badRequest('UNKNOWN_PARAM', `'${k}' is not a tunable parameter of flapping; tunable: maxChanges, windowS`);
      if (!Number.isFinite(v) || v < 1) throw badRequest('BAD_PARAM', `'${k}' must be a number ≥ 1`);
    }
    return;
  }
  const spec = getKind(kind)?.alarms?.[rule];
  if (!spec) throw notFound('Alarm rule', `${kind}/${rule}`);
  checkParams(spec.trigger, params);
}

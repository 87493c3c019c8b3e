/**
 * Plan targets against actual figures (issue 15), pure. A report of period P uses the target set for P itself, else
 * the one for the year P belongs to (the plans set yearly targets; a month or half-year shows progress against it).
 */
import { badRequest } from '../../common/errors.ts';
import { emptyScopeFacts, scopeFigures, type Figure } from './figures.ts';
import type { Comparator, PlanTarget } from './targets.repository.ts';

export const EMERGENCY_FIGURE_ID = 'radio.emergencyTimeToAirS';

/** Every figure id a report can hold (the kinds' declarations decide them, not the data). */
export function knownIndicators(): string[] {
  return [...scopeFigures(emptyScopeFacts(), { ward: true }).map((f) => f.id), EMERGENCY_FIGURE_ID];
}

export function meets(value: number | null, c: Comparator, target: number): boolean | null {
  if (value === null) return null;
  switch (c) {
    case '>=':
      return value >= target;
    case '>':
      return value > target;
    case '<=':
      return value <= target;
    case '<':
      return value < target;
  }
}

/** The periods whose targets apply to a report of `period`, most specific first. */
export const targetPeriods = (period: string): string[] => (period.length > 4 ? [period, period.slice(0, 4)] : [period]);

/** Figures with their target attached (new objects; figures without a target are returned as they are). */
export function withTargets(figures: Figure[], targets: PlanTarget[], period: string): Figure[] {
  const order = targetPeriods(period);
  return figures.map((f) => {
    const t = order.map((p) => targets.find((x) => x.indicator === f.id && x.period === p)).find((x) => x !== undefined);
    if (!t) return f;
    return {
      ...f,
      target: { period: t.period, comparator: t.comparator, value: t.target, source: t.source, basis: t.basis, met: meets(f.value, t.comparator, t.target) },
    };
  });
}

export function checkIndicator(id: string): void {
  if (!knownIndicators().includes(id))
    throw badRequest('UNKNOWN_INDICATOR', `'${id}' is not an indicator of the report; GET /api/v1/plan-targets/indicators lists them`);
}

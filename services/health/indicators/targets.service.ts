import { notFound } from '../../common/errors.ts';
import type { Comparator, PlanTarget, TargetsRepository } from './targets.repository.ts';
import { checkIndicator, knownIndicators } from './targets.ts';
import { seedsFor } from './plan-seeds.ts';

/** Plan targets of the configured ward: validated against the report's indicators, seeded from the ward's plan. */
export class TargetsService {
  private readonly repo: TargetsRepository;
  private readonly wardCode: string;

  constructor(repo: TargetsRepository, wardCode: string) {
    this.repo = repo;
    this.wardCode = wardCode;
  }

  list(period?: string): Promise<PlanTarget[]> {
    return this.repo.list(this.wardCode, period ? [period] : undefined);
  }

  /** Targets of these periods, for the configured ward or the one given (province tenancy). */
  forPeriods(periods: readonly string[], wardCode = this.wardCode): Promise<PlanTarget[]> {
    return this.repo.list(wardCode, periods);
  }

  indicators(): string[] {
    return knownIndicators();
  }

  set(indicator: string, period: string, t: { comparator: Comparator; target: number; source: string; basis: 'plan' | 'proposal' }, actor: string): Promise<PlanTarget> {
    checkIndicator(indicator);
    return this.repo.upsert({ wardCode: this.wardCode, indicator, period, ...t, updatedBy: actor });
  }

  async remove(indicator: string, period: string): Promise<void> {
    if (!(await this.repo.remove(this.wardCode, indicator, period))) throw notFound('plan target', `${indicator}@${period}`);
  }

  /** At the first start of a ward one of the plans is about (its name), when it has no targets yet. Returns how many were set. */
  async seedFromPlan(wardName: string): Promise<number> {
    const seeds = seedsFor(wardName);
    if (!seeds.length || (await this.repo.count(this.wardCode)) > 0) return 0;
    for (const s of seeds) await this.repo.upsert({ ...s, wardCode: this.wardCode, updatedBy: 'seed' });
    return seeds.length;
  }
}

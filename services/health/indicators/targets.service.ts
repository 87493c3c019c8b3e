import { notFound } from '../../common/errors.ts';
import type { Comparator, PlanTarget, TargetsRepository } from './targets.repository.ts';
import { checkIndicator, knownIndicators } from './targets.ts';
import { seedsFor } from './plan-seeds.ts';

/**
 * Plan targets of a ward (by default the configured one): validated against the report's indicators, seeded from the
 * ward's plan. Province tenancy: `ward` names another ward, checked against the caller's scope by `resolveWard`.
 */
export class TargetsService {
  private readonly repo: TargetsRepository;
  private readonly wardCode: string;
  private readonly resolveWard: (given: string | undefined) => Promise<string>;

  constructor(repo: TargetsRepository, wardCode: string, resolveWard?: (given: string | undefined) => Promise<string>) {
    this.repo = repo;
    this.wardCode = wardCode;
    this.resolveWard = resolveWard ?? (async (given) => given ?? wardCode);
  }

  async list(period?: string, ward?: string): Promise<PlanTarget[]> {
    return this.repo.list(await this.resolveWard(ward), period ? [period] : undefined);
  }

  /** Targets of these periods, for the configured ward or the one given (province tenancy). */
  forPeriods(periods: readonly string[], wardCode = this.wardCode): Promise<PlanTarget[]> {
    return this.repo.list(wardCode, periods);
  }

  indicators(): string[] {
    return knownIndicators();
  }

  async set(
    indicator: string,
    period: string,
    t: { comparator: Comparator; target: number; source: string; basis: 'plan' | 'proposal' },
    actor: string,
    ward?: string,
  ): Promise<PlanTarget> {
    checkIndicator(indicator);
    return this.repo.upsert({ wardCode: await this.resolveWard(ward), indicator, period, ...t, updatedBy: actor });
  }

  async remove(indicator: string, period: string, ward?: string): Promise<void> {
    if (!(await this.repo.remove(await this.resolveWard(ward), indicator, period))) throw notFound('plan target', `${indicator}@${period}`);
  }

  /** At the first start of a ward one of the plans is about (its name), when it has no targets yet. Returns how many were set. */
  async seedFromPlan(wardName: string): Promise<number> {
    const seeds = seedsFor(wardName);
    if (!seeds.length || (await this.repo.count(this.wardCode)) > 0) return 0;
    for (const s of seeds) await this.repo.upsert({ ...s, wardCode: this.wardCode, updatedBy: 'seed' });
    return seeds.length;
  }
}

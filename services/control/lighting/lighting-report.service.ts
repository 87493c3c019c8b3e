/**
 * What lights should be doing against what they report (drift), and energy used and saved.
 *
 * Energy (docs/control.md § Energy): used = increase of the light's cumulative `energy` counter (kWh, resets
 * handled); baseline = rated power (asset.ratedPowerW, else the kind's default) × burning hours (increase of the
 * burning-hours counter) — what the lamp would have used at full power for as long as it was lit; saved = baseline −
 * used. Per light, summed per zone or ward, per local day or month.
 */
import type { Target } from '../commands/command.types.ts';
import type { LightingRepository, LightRecord, OverrideRecord } from './lighting.repository.ts';
import { DRIFT_TOLERANCE, lightingKinds, type LightingService } from './lighting.service.ts';
import { levelAt } from './program.ts';

export type DriftStatus = 'ok' | 'drift' | 'transition' | 'stale' | 'unknown' | 'unassigned';

export interface DriftItem {
  deviceId: string;
  expectedLevel: number | null;
  reportedLevel: number | null;
  reportedAt: string | null;
  delta: number | null;
  source: 'override' | 'program' | null;
  programId: string | null;
  assignedVia: string | null;
  overrideUntil: string | null;
  /** When the expected level last changed (step start or override start). */
  changedAt: string | null;
  online: boolean | null;
  status: DriftStatus;
  statusLabel: { vi: string; en: string };
}

export const DRIFT_LABELS: Record<DriftStatus, { vi: string; en: string }> = {
  ok: { vi: 'Đúng mức sáng', en: 'As expected' },
  drift: { vi: 'Lệch mức sáng', en: 'Drifting from the expected level' },
  transition: { vi: 'Đang chuyển mức', en: 'Changing level' },
  stale: { vi: 'Chưa có báo cáo sau lần đổi mức', en: 'No report since the level changed' },
  unknown: { vi: 'Chưa có số liệu', en: 'No reading yet' },
  unassigned: { vi: 'Chưa gán chương trình chiếu sáng', en: 'No lighting program assigned' },
};

export interface EnergyPoint {
  bucket: string;
  usedKWh: number;
  baselineKWh: number;
  savedKWh: number;
  savedPct: number | null;
  burningHours: number;
  lights: number;
}

export const ENERGY_FORMULA =
  'saved kWh = ratedPowerW / 1000 × burning hours − used kWh; used = increase of the energy counter; burning hours = increase of the burning-hours counter';

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

export class LightingReports {
  private readonly repo: LightingRepository;
  private readonly lighting: LightingService;
  private readonly clock: () => number;

  constructor(o: { repo: LightingRepository; lighting: LightingService; clock?: () => number }) {
    this.repo = o.repo;
    this.lighting = o.lighting;
    this.clock = o.clock ?? Date.now;
  }

  private async lights(target: Target | null): Promise<LightRecord[]> {
    const kinds = lightingKinds().map((k) => k.kind);
    const ids = target ? (await this.lighting.lightsIn(target)).map((l) => l.id) : null;
    return this.repo.lights(kinds, ids);
  }

  async drift(target: Target | null, onlyProblems = false): Promise<{ at: string; tolerance: number; items: DriftItem[] }> {
    const now = this.clock();
    const lights = await this.lights(target);
    const [eff, overrides, programs, site] = await Promise.all([
      this.lighting.effective(lights, now),
      this.repo.activeOverrides(new Date(now)),
      this.repo.programs(),
      this.lighting.site(),
    ]);
    const steps = new Map(programs.map((p) => [p.id, p.steps]));
    const caps = new Map(lightingKinds().map((k) => [k.kind, k.cap]));
    const items = lights.map((l) => {
      const e = eff.get(l.id);
      const metric = caps.get(l.kind)?.levelMetric ?? 'level';
      const reported = typeof l.state[metric] === 'number' ? (l.state[metric] as number) : null;
      const ov = overrides.get(l.id);
      const expect = ov ? fromOverride(ov, now) : e?.programId && steps.get(e.programId) ? fromProgram(steps.get(e.programId) ?? [], now, site) : null;
      const item: DriftItem = {
        deviceId: l.id,
        expectedLevel: expect?.level ?? null,
        reportedLevel: reported,
        reportedAt: l.stateAt?.toISOString() ?? null,
        delta: expect && reported !== null ? reported - expect.level : null,
        source: ov ? 'override' : expect ? 'program' : null,
        programId: e?.programId ?? null,
        assignedVia: e?.assignedVia ?? null,
        overrideUntil: ov?.expiresAt.toISOString() ?? null,
        changedAt: expect ? new Date(expect.changedAt).toISOString() : null,
        online: l.online,
        status: 'ok',
        statusLabel: DRIFT_LABELS.ok,
      };
      item.status = statusOf(item, expect, l.stateAt);
      item.statusLabel = DRIFT_LABELS[item.status];
      return item;
    });
    return { at: new Date(now).toISOString(), tolerance: DRIFT_TOLERANCE, items: onlyProblems ? items.filter((i) => i.status === 'drift') : items };
  }

  async energy(
    target: Target | null,
    from: Date,
    to: Date,
    unit: 'day' | 'month',
  ): Promise<{ formula: string; unit: 'kWh'; totals: EnergyPoint; items: EnergyPoint[]; perLight?: (EnergyPoint & { deviceId: string })[] }> {
    const lights = await this.lights(target);
    const caps = new Map(lightingKinds().map((k) => [k.kind, k.cap]));
    const rated = new Map(
      lights.map((l) => {
        const asset = Number(l.asset.ratedPowerW);
        return [l.id, Number.isFinite(asset) && asset > 0 ? asset : (caps.get(l.kind)?.defaultRatedPowerW ?? 0)] as const;
      }),
    );
    const rows = [];
    for (const [kind, cap] of caps) {
      const ids = lights.filter((l) => l.kind === kind).map((l) => l.id);
      rows.push(...(await this.repo.energy(ids, { energy: cap.energyMetric, hours: cap.burningHoursMetric }, from, to, unit)));
    }
    const byBucket = new Map<string, { used: number; baseline: number; hours: number; lights: Set<string> }>();
    const perLight: (EnergyPoint & { deviceId: string })[] = [];
    for (const r of rows) {
      const baseline = ((rated.get(r.deviceId) ?? 0) / 1000) * r.burningH;
      const b = byBucket.get(r.bucket) ?? { used: 0, baseline: 0, hours: 0, lights: new Set<string>() };
      b.used += r.usedKWh;
      b.baseline += baseline;
      b.hours += r.burningH;
      b.lights.add(r.deviceId);
      byBucket.set(r.bucket, b);
      if (target?.type === 'device') perLight.push({ deviceId: r.deviceId, ...point(r.bucket, r.usedKWh, baseline, r.burningH, 1) });
    }
    const items = [...byBucket.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, b]) => point(k, b.used, b.baseline, b.hours, b.lights.size));
    const sum = items.reduce((s, p) => ({ used: s.used + p.usedKWh, baseline: s.baseline + p.baselineKWh, hours: s.hours + p.burningHours }), {
      used: 0,
      baseline: 0,
      hours: 0,
    });
    const totals = point(`${from.toISOString()}/${to.toISOString()}`, sum.used, sum.baseline, sum.hours, new Set(rows.map((r) => r.deviceId)).size);
    return { formula: ENERGY_FORMULA, unit: 'kWh', totals, items, ...(target?.type === 'device' ? { perLight } : {}) };
  }
}

function point(bucket: string, used: number, baseline: number, hours: number, lights: number): EnergyPoint {
  return {
    bucket,
    usedKWh: round(used),
    baselineKWh: round(baseline),
    savedKWh: round(baseline - used),
    savedPct: baseline > 0 ? round(((baseline - used) / baseline) * 100, 1) : null,
    burningHours: round(hours),
    lights,
  };
}

interface Expectation {
  level: number;
  changedAt: number;
  inRamp: boolean;
}

function fromOverride(o: OverrideRecord, now: number): Expectation {
  return { level: o.level, changedAt: o.startsAt.getTime(), inRamp: now < o.startsAt.getTime() + o.rampS * 1000 };
}

function fromProgram(steps: Parameters<typeof levelAt>[0], now: number, site: Parameters<typeof levelAt>[2]): Expectation {
  const l = levelAt(steps, now, site);
  return { level: l.level, changedAt: l.step.startedAt, inRamp: l.inRamp };
}

function statusOf(i: DriftItem, e: Expectation | null, stateAt: Date | null): DriftStatus {
  if (!e) return 'unassigned';
  if (i.reportedLevel === null || !stateAt) return 'unknown';
  if (e.inRamp) return 'transition';
  // A report from before the level last changed says nothing about whether the change took.
  if (stateAt.getTime() < e.changedAt) return 'stale';
  return Math.abs(i.delta ?? 0) > DRIFT_TOLERANCE ? 'drift' : 'ok';
}

import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { UptimeService } from '../uptime/uptime.service.ts';
import type { UptimeDevice } from '../uptime/uptime.repository.ts';
import { EMERGENCY_METHOD, scopeFigures, type Figure, type ScopeFacts, type Text } from './figures.ts';
import type { IndicatorDevice, IndicatorsRepository } from './indicators.repository.ts';
import { cutoffDay, monthsOf, parsePeriod, type Period } from './periods.ts';
import { addDaysIso as addDays, dayStart } from '../../common/zoned-time.ts';
import type { ReportScope } from '../../registry/ward.service.ts';
import type { TargetsService } from './targets.service.ts';
import { targetPeriods, withTargets } from './targets.ts';

export interface IndicatorOptions {
  repo: IndicatorsRepository;
  uptime: UptimeService;
  ward: { code: string; name: string; timezone: string };
  clock?: () => number;
  /** The period's last days in which a controller must have been reachable to count as under remote control. */
  remoteControlDays?: number;
  /** Availability (%) at which a residential group counts as served over the period. */
  servedAvailability?: number;
  /** Last day of data in H1 / H2 reports ('MM-DD'); null or absent: the whole half-year. */
  halfYearCutoff?: { h1: string; h2: string } | null;
  /** Plan targets (absent: reports carry none). */
  targets?: TargetsService;
  /** Per-user session sources by name (IndicatorSpec.sessions.uniqueUsersSource), e.g. services/wifi; absent: none. */
  usersSource?: (name: string) => { usersByDevice(deviceIds: string[], from: number, to: number): Promise<Map<string, string[]>> } | undefined;
}

export type { ReportScope };

export interface IndicatorReport {
  /** The ward, or for a province report the province (code and name), as the report's header shows it. */
  ward: { code: string; name: string };
  /** Absent in reports built before tenancy (fixtures): one ward. */
  scope?: { kind: ReportScope['kind']; wards: { code: string; name: string }[] };
  period: { code: string; type: Period['type']; label: Text; from: string; to: string; firstDay: string; lastDay: string };
  generatedAt: string;
  /** Data up to this instant (the end of the cut-off day, or now when that has not come yet). */
  asOf: string;
  /** The last local day the report counts: the period's last day unless cut off earlier (asOf, SW_REPORT_HALF_YEAR_CUTOFF). */
  cutoffDay: string;
  /** Every day up to the cut-off has passed. */
  complete: boolean;
  figures: Figure[];
  groups: { id: string; name: string; figures: Figure[] }[];
  emergencies: { available: boolean; items: { id: string; title: string; requestedAt: string; firstAirAt: string | null; timeToAirS: number | null }[] };
  charts: { availability: { system: string; label: Text; value: number | null }[]; energyByMonth: { month: string; usedKWh: number; savedKWh: number }[] };
}

const toUptimeDevice = (d: IndicatorDevice): UptimeDevice => ({ id: d.id, kind: d.kind, wardCode: '', groupId: d.groupId, zoneIds: [], installedAt: null });

/** The plan's indicators for the ward and each residential group over a reporting period (docs/health.md). */
export class IndicatorsService {
  private readonly o: IndicatorOptions;
  private readonly clock: () => number;

  constructor(o: IndicatorOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
  }

  period(code: string): Period {
    return parsePeriod(code, this.o.ward.timezone);
  }

  /** The report of one ward or of the province (`scope`; default: the configured ward). */
  async compute(code: string, opts: { asOf?: string | undefined; scope?: ReportScope } = {}): Promise<IndicatorReport> {
    const scope: ReportScope = opts.scope ?? {
      kind: 'ward',
      code: this.o.ward.code,
      name: this.o.ward.name,
      wards: [{ code: this.o.ward.code, name: this.o.ward.name }],
      everyWard: true,
    };
    const wardCodes = scope.wards.map((w) => w.code);
    const whole = this.period(code);
    const cut = cutoffDay(whole, { asOf: opts.asOf, halfYear: this.o.halfYearCutoff ?? null });
    // The cut-off shortens the period; everything below counts [from, to) of this one.
    const p: Period = { ...whole, to: dayStart(addDays(cut, 1), this.o.ward.timezone) };
    const now = this.clock();
    const asOf = Math.min(now, p.to);
    const devices = (await this.o.repo.devices(wardCodes)).filter((d) => d.since < p.to);
    const groups = await this.o.repo.groups(wardCodes);
    const facts = await this.gather(devices, groups, p, asOf, wardCodes);
    const emergencies = await this.emergencies(p, scope.everyWard ? null : wardCodes);
    // Plan targets are a ward's own; the province aggregate sets none.
    const targets = this.o.targets && scope.kind === 'ward' ? await this.o.targets.forPeriods(targetPeriods(whole.code), scope.code) : [];
    const wardFigures = withTargets([...scopeFigures(facts, { ward: true }), emergencies.figure], targets, whole.code);
    const groupReports = groups.map((g) => {
      const ds = devices.filter((d) => d.groupId === g.id);
      const sub: ScopeFacts = { ...facts, devices: ds, groups: [g], playLogs: facts.playLogs, repairs: facts.repairs };
      return { id: g.id, name: g.name, figures: scopeFigures(sub, { ward: false }) };
    });
    return {
      ward: { code: scope.code, name: scope.name },
      scope: { kind: scope.kind, wards: scope.wards },
      period: {
        code: p.code,
        type: p.type,
        label: p.label,
        from: new Date(p.from).toISOString(),
        to: new Date(whole.to).toISOString(),
        firstDay: p.firstDay,
        lastDay: p.lastDay,
      },
      generatedAt: new Date(now).toISOString(),
      asOf: new Date(asOf).toISOString(),
      cutoffDay: cut,
      complete: now >= p.to,
      figures: wardFigures,
      groups: groupReports,
      emergencies: emergencies.list,
      charts: {
        availability: DEVICE_KINDS.map((k) => {
          const f = wardFigures.find((x) => x.id === `${k.name}.availability`);
          return { system: k.name, label: k.indicators?.system ?? k.label, value: f?.value ?? null };
        }),
        energyByMonth: await this.energyByMonth(devices, p, asOf),
      },
    };
  }

  private async gather(
    devices: IndicatorDevice[],
    groups: { id: string; name: string }[],
    p: Period,
    asOf: number,
    wardCodes: readonly string[],
  ): Promise<ScopeFacts> {
    const ids = devices.map((d) => d.id);
    const ud = devices.map(toUptimeDevice);
    // Installation dates matter to uptime: read them through the uptime service's own device view.
    const withDates = new Map<string, UptimeDevice>();
    for (const w of wardCodes) for (const d of await this.o.uptime.devicesInScope({ type: 'ward', id: w })) withDates.set(d.id, d);
    const udev = ud.map((d) => withDates.get(d.id) ?? d);
    const uptime = await this.o.uptime.perDevice(udev, { from: p.from, to: asOf });
    const recentDays = this.o.remoteControlDays ?? 7;
    const recent = await this.o.uptime.perDevice(udev, { from: Math.max(p.from, asOf - recentDays * 86400_000), to: asOf });
    const counters = new Map<string, Map<string, number>>();
    const gauges = new Map<string, Map<string, { sum: number; count: number }>>();
    for (const k of DEVICE_KINDS) {
      const kindIds = devices.filter((d) => d.kind === k.name).map((d) => d.id);
      const counterMetrics = [
        k.capabilities?.lighting?.energyMetric,
        k.capabilities?.lighting?.burningHoursMetric,
        k.indicators?.sessions?.metric,
        ...(k.indicators?.traffic?.metrics ?? []),
      ];
      for (const m of counterMetrics)
        if (m) counters.set(m, new Map([...(counters.get(m) ?? []), ...(await this.o.repo.counterDeltas(kindIds, m, p.from, asOf))]));
      const snap = k.indicators?.snapshot?.metric;
      if (snap) gauges.set(snap, new Map([...(gauges.get(snap) ?? []), ...(await this.o.repo.gaugeSums(kindIds, snap, p.from, asOf))]));
    }
    const sessionUsers = new Map<string, Map<string, string[]>>();
    for (const k of DEVICE_KINDS) {
      const name = k.indicators?.sessions?.uniqueUsersSource;
      const src = name ? this.o.usersSource?.(name) : undefined;
      if (!name || !src) continue;
      const kindIds = devices.filter((d) => d.kind === k.name).map((d) => d.id);
      sessionUsers.set(name, new Map([...(sessionUsers.get(name) ?? []), ...(await src.usersByDevice(kindIds, p.from, asOf))]));
    }
    const playLogs = [];
    for (const k of DEVICE_KINDS) {
      const ev = k.capabilities?.broadcast?.playLogEvent;
      if (ev)
        playLogs.push(
          ...(await this.o.repo.playLogs(
            devices.filter((d) => d.kind === k.name).map((d) => d.id),
            ev,
            p.from,
            asOf,
          )),
        );
    }
    return {
      devices,
      uptime,
      recentUp: new Map([...recent].map(([id, t]) => [id, t.upS])),
      recentDays,
      counters,
      gauges,
      playLogs,
      repairs: await this.o.repo.repairs(ids, p.from, asOf),
      faults: await this.o.repo.faults(ids, p.from, asOf),
      groups,
      servedAvailability: this.o.servedAvailability ?? 90,
      sessionUsers,
    };
  }

  private async emergencies(p: Period, wardCodes: readonly string[] | null): Promise<{ figure: Figure; list: IndicatorReport['emergencies'] }> {
    const event = DEVICE_KINDS.map((k) => k.capabilities?.broadcast?.playLogEvent).find((e) => e !== undefined);
    const base = {
      id: 'radio.emergencyTimeToAirS',
      system: null,
      label: { vi: 'Thời gian từ yêu cầu đến khi phát bản tin khẩn cấp (trung bình)', en: 'Emergency bulletins: mean time to air' },
      unit: 's',
      method: EMERGENCY_METHOD,
    };
    if (!event || !(await this.o.repo.hasBroadcasts())) {
      return {
        figure: {
          ...base,
          value: null,
          note: {
            vi: 'Không có số liệu: chưa có bảng bản tin (mô-đun phát thanh chưa hoạt động).',
            en: 'Not available: no broadcasts table (the radio module is not installed).',
          },
        },
        list: { available: false, items: [] },
      };
    }
    const items = (await this.o.repo.emergencies(event, p.from, p.to, wardCodes)).map((e) => ({
      id: e.id,
      title: e.title,
      requestedAt: new Date(e.requestedAt).toISOString(),
      firstAirAt: e.firstAirAt === null ? null : new Date(e.firstAirAt).toISOString(),
      timeToAirS: e.firstAirAt === null ? null : Math.max(0, (e.firstAirAt - e.requestedAt) / 1000),
    }));
    const aired = items.filter((i) => i.timeToAirS !== null).map((i) => i.timeToAirS as number);
    const mean = aired.length ? Math.round((aired.reduce((s, x) => s + x, 0) / aired.length) * 10) / 10 : null;
    const max = aired.length ? Math.max(...aired) : null;
    return {
      figure: {
        ...base,
        value: mean,
        note: {
          vi: `${items.length} bản tin khẩn cấp, ${aired.length} đã phát; lâu nhất ${max ?? '—'} s.`,
          en: `${items.length} emergency bulletins, ${aired.length} aired; longest ${max ?? '—'} s.`,
        },
      },
      list: { available: true, items },
    };
  }

  private async energyByMonth(devices: IndicatorDevice[], p: Period, asOf: number): Promise<IndicatorReport['charts']['energyByMonth']> {
    const out: IndicatorReport['charts']['energyByMonth'] = [];
    const lightingKinds = DEVICE_KINDS.filter((k) => k.capabilities?.lighting);
    for (const m of monthsOf(p, this.o.ward.timezone)) {
      if (m.from >= asOf) break;
      let used = 0;
      let baseline = 0;
      for (const k of lightingKinds) {
        const l = k.capabilities?.lighting;
        if (!l) continue;
        const ds = devices.filter((d) => d.kind === k.name);
        const ids = ds.map((d) => d.id);
        const e = await this.o.repo.counterDeltas(ids, l.energyMetric, m.from, Math.min(m.to, asOf));
        const h = await this.o.repo.counterDeltas(ids, l.burningHoursMetric, m.from, Math.min(m.to, asOf));
        for (const d of ds) {
          used += e.get(d.id) ?? 0;
          const rated = typeof d.asset.ratedPowerW === 'number' && d.asset.ratedPowerW > 0 ? d.asset.ratedPowerW : l.defaultRatedPowerW;
          baseline += ((h.get(d.id) ?? 0) * rated) / 1000;
        }
      }
      out.push({ month: m.code, usedKWh: Math.round(used * 100) / 100, savedKWh: Math.round((baseline - used) * 100) / 100 });
    }
    return out;
  }
}

/**
 * Indicator figures, pure: from per-device facts of one scope (the ward or one residential group) to the plan's
 * numbers, each with the method that produced it in Vietnamese and English (docs/health.md "Indicators").
 */
import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { DeviceKind } from '../../../devices/types.ts';
import { availability, type UptimeTotals } from '../uptime/uptime-math.ts';
import type { Fault, IndicatorDevice, PlayLog, Repair } from './indicators.repository.ts';

export interface Text {
  vi: string;
  en: string;
}

export interface Figure {
  id: string;
  /** The device kind the figure is about; null for the whole scope. */
  system: string | null;
  label: Text;
  value: number | null;
  unit: string;
  note?: Text;
  method: Text;
  /** The plan's target for the period, when one is set (plan_targets), and whether the value meets it. */
  target?: { period: string; comparator: '>=' | '>' | '<=' | '<'; value: number; source: string; basis: 'plan' | 'proposal'; met: boolean | null };
}

/** Everything measured for the devices of a scope over one period. */
export interface ScopeFacts {
  devices: IndicatorDevice[];
  uptime: Map<string, UptimeTotals>;
  /** Up seconds in the period's last days (remote-control check). */
  recentUp: Map<string, number>;
  recentDays: number;
  counters: Map<string, Map<string, number>>;
  gauges: Map<string, Map<string, { sum: number; count: number }>>;
  playLogs: PlayLog[];
  repairs: Repair[];
  /** Faults (critical alarms, flapping excluded) raised in the period, with their state at the cut-off. */
  faults: Fault[];
  /** Residential groups of the scope and, for coverage, which kinds' devices serve them. */
  groups: { id: string; name: string }[];
  /** Availability at or above this makes a group "served over the period". */
  servedAvailability: number;
  /** Distinct user keys (keyed hashes) per device over the period, by users source name (IndicatorSpec.sessions). */
  sessionUsers?: Map<string, Map<string, string[]>>;
}

/** Facts with no device in them: what the report's figure list looks like before any data (known ids, benches). */
export function emptyScopeFacts(): ScopeFacts {
  return {
    devices: [],
    uptime: new Map(),
    recentUp: new Map(),
    recentDays: 7,
    counters: new Map(),
    gauges: new Map(),
    playLogs: [],
    repairs: [],
    faults: [],
    groups: [],
    servedAvailability: 90,
  };
}

const pct = (num: number, den: number): number | null => (den > 0 ? Math.round((num / den) * 10_000) / 100 : null);
const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const sumMap = (m: Map<string, number> | undefined, ids: string[]): number => ids.reduce((s, id) => s + (m?.get(id) ?? 0), 0);

function sumUptime(f: ScopeFacts, ids: string[]): { upS: number; downS: number; unknownS: number } {
  let upS = 0;
  let downS = 0;
  let unknownS = 0;
  for (const id of ids) {
    const t = f.uptime.get(id);
    upS += t?.upS ?? 0;
    downS += t?.downS ?? 0;
    unknownS += t?.unknownS ?? 0;
  }
  return { upS, downS, unknownS };
}

/** The time left out of availability as unknown, in device-hours (issue 10: a service outage is not device downtime). */
function unknownNote(unknownS: number): Text | undefined {
  if (unknownS <= 0) return undefined;
  const h = round(unknownS / 3600, 1);
  return {
    vi: `Không xác định: ${h} giờ-thiết bị (dịch vụ không chạy, trước lắp đặt hoặc chưa có dữ liệu), không tính vào độ sẵn sàng.`,
    en: `Unknown: ${h} device-hours (service not running, before installation or no data yet), left out of availability.`,
  };
}

const M = {
  count: {
    vi: 'Đếm thiết bị thuộc hệ thống đã lắp đặt (ngày lắp đặt, hoặc ngày đăng ký nếu chưa nhập) trước khi kỳ kết thúc.',
    en: 'Devices of the system installed (installation date, or registration date when none was entered) before the period ends.',
  },
  online: {
    vi: 'Số thiết bị đang trực tuyến tại thời điểm lập báo cáo / tổng số thiết bị.',
    en: 'Devices online when the report was generated / all devices.',
  },
  availability: {
    vi: 'Thời gian hoạt động / (thời gian hoạt động + thời gian mất kết nối) trong kỳ, cộng trên mọi thiết bị; không tính thời gian bảo trì theo kế hoạch và thời gian không xác định (trước lắp đặt, trước báo cáo đầu tiên, khi dịch vụ không chạy và vài phút sau khi dịch vụ khởi động lại cho đến khi thiết bị kết nối lại).',
    en: 'Up time / (up time + down time) over the period, summed over the devices; planned maintenance and unknown time (before installation or the first report, while the service was not running, and after a service restart until the device reconnects, at most a few minutes) are left out.',
  },
  mttr: {
    vi: 'Trung bình thời gian từ khi phát hiện sự cố nghiêm trọng đến khi thiết bị tự báo đã hết sự cố (sự cố đã khắc phục) trong kỳ; không tính thiết bị mất kết nối chập chờn.',
    en: 'Mean time from a serious fault being detected to the device reporting it gone (a repair), over repairs in the period; devices dropping in and out are left out.',
  },
  remote: {
    vi: 'Số bộ điều khiển có kết nối với hệ thống trung tâm trong {d} ngày cuối kỳ / tổng số đèn.',
    en: 'Controllers reachable by the central system during the last {d} days of the period / all streetlights of the system.',
  },
  energyUsed: {
    vi: 'Tổng điện năng tiêu thụ = tăng của bộ đếm kWh mỗi đèn trong kỳ, tính theo từng lần đọc (mỗi bước tăng tính vào giờ nó kết thúc; bộ đếm bị đặt lại được tính từ 0, kể cả trong cùng một giờ; bước cách lần đọc trước hơn 7 ngày không tính; gồm cả số liệu mới nhất chưa vào bảng tổng hợp).',
    en: 'Sum over luminaires of the kWh counter increase in the period, reading by reading (each step counts in the hour it ends; a counter reset counts from zero, also within one hour; a step more than 7 days after the previous reading is not counted; includes the latest readings not yet in the hourly rollup).',
  },
  energyBase: {
    vi: 'Điện năng các đèn sẽ tiêu thụ nếu luôn sáng 100% công suất trong đúng số giờ đã sáng: công suất định mức của đèn (theo hồ sơ thiết bị, hoặc mức mặc định của loại đèn) × số giờ sáng trong kỳ.',
    en: "Energy the luminaires would have used at full power over the hours they were actually lit: each luminaire's rated power (from its asset record, else the usual rating of its type) × hours lit in the period.",
  },
  energySaved: {
    vi: 'Điện năng tiết kiệm = mức cơ sở (100% công suất) − điện năng tiêu thụ; tỷ lệ = tiết kiệm / mức cơ sở.',
    en: 'Saved = full-power baseline − energy used; share = saved / baseline.',
  },
  points: {
    vi: 'Số điểm đã lắp đặt có gán tổ dân phố; trung bình trên số tổ dân phố của phường.',
    en: "Installed points assigned to a residential group; mean over the ward's residential groups.",
  },
  servedNow: {
    vi: 'Số tổ dân phố có ít nhất 1 điểm đang trực tuyến tại thời điểm lập báo cáo / tổng số tổ dân phố.',
    en: 'Residential groups with at least one point online at report time / all residential groups.',
  },
  servedPeriod: {
    vi: 'Số tổ dân phố có ít nhất 1 điểm đạt độ sẵn sàng ≥ {a}% trong kỳ / tổng số tổ dân phố.',
    en: 'Residential groups with at least one point at ≥ {a}% availability over the period / all residential groups.',
  },
  sessions: { vi: 'Tổng số lượt truy cập WiFi mà các điểm phát ghi nhận trong kỳ.', en: 'WiFi sessions the access points counted in the period.' },
  users: {
    vi: 'Chưa có nguồn dữ liệu: điểm phát WiFi chỉ báo số lượt truy cập, chưa có danh sách người dùng (đăng nhập cổng WiFi).',
    en: 'No data source yet: the access points report session counts only; there is no list of users yet (portal logins).',
  },
  traffic: {
    vi: 'Tổng dung lượng dữ liệu tải lên và tải xuống qua các điểm phát trong kỳ, tính bằng GB (1 GB = 1 tỷ byte).',
    en: 'Data downloaded and uploaded through the access points in the period, in GB (1 GB = one billion bytes).',
  },
  snapNow: {
    vi: 'Số camera có lần kiểm tra hình ảnh gần nhất thành công / tổng số camera.',
    en: 'Cameras whose latest picture check succeeded / all cameras.',
  },
  snapRate: {
    vi: 'Tỷ lệ các lần hệ thống tự động lấy ảnh kiểm tra từ camera thành công trong kỳ.',
    en: 'Share of the automatic picture checks on the cameras that succeeded in the period.',
  },
  bulletins: {
    vi: 'Số bản tin khác nhau đã phát trên ít nhất 1 cụm loa trong kỳ (theo nhật ký phát của cụm loa; lần phát lỗi không tính).',
    en: "Different bulletins aired on at least one loudspeaker cluster in the period (from the clusters' play logs; failed airings not counted).",
  },
  airtime: {
    vi: 'Tổng thời gian phát của mọi lần phát trên mọi cụm loa trong kỳ, tính bằng giờ.',
    en: 'Total time on air of every airing on every cluster in the period, in hours.',
  },
  faultsRaised: {
    vi: 'Số sự cố nghiêm trọng phát sinh trong kỳ (cảnh báo mức nghiêm trọng; không tính thiết bị mất kết nối chập chờn).',
    en: 'Serious faults raised in the period (critical alarms; devices dropping in and out are left out).',
  },
  faultsFixed: {
    vi: 'Số sự cố nghiêm trọng đã khắc phục trong kỳ (thiết bị tự báo hết sự cố), kể cả sự cố phát sinh từ kỳ trước.',
    en: 'Serious faults repaired in the period (the device reported them gone), including faults raised in an earlier period.',
  },
  faultsOpen: {
    vi: 'Số sự cố phát sinh trong kỳ vẫn còn mở (chưa khắc phục, chưa được đóng) tại thời điểm chốt số liệu.',
    en: 'Faults raised in the period still open (neither repaired nor closed) at the cut-off.',
  },
  emergency: {
    vi: 'Thời gian trung bình từ lúc yêu cầu phát bản tin khẩn cấp đến khi cụm loa đầu tiên bắt đầu phát, trên các bản tin khẩn cấp trong kỳ.',
    en: 'Mean time from an emergency bulletin being requested to the first cluster starting to air it, over the emergency bulletins of the period.',
  },
  usersCounted: {
    vi: 'Số người dùng khác nhau (khóa băm của địa chỉ MAC thiết bị, không lưu địa chỉ gốc) có phiên truy cập trong kỳ, đếm một lần dù dùng nhiều điểm.',
    en: 'Distinct users (keyed hashes of the client MAC; the address itself is never stored) with a session in the period, counted once across points.',
  },
} satisfies Record<string, Text>;

const fill = (t: Text, vars: Record<string, string | number>): Text => {
  let { vi, en } = t;
  for (const [k, v] of Object.entries(vars)) {
    vi = vi.replaceAll(`{${k}}`, String(v));
    en = en.replaceAll(`{${k}}`, String(v));
  }
  return { vi, en };
};

const label = (k: DeviceKind, vi: string, en: string): Text => ({
  vi: `${k.indicators?.system.vi ?? k.label.vi}: ${vi}`,
  en: `${k.indicators?.system.en ?? k.label.en}: ${en}`,
});

/** The figures of one scope. `ward` adds figures only a ward has (coverage shares, emergencies go in separately). */
export function scopeFigures(f: ScopeFacts, opts: { ward: boolean }): Figure[] {
  const out: Figure[] = [];
  const all = f.devices.map((d) => d.id);
  out.push({ id: 'devices.total', system: null, label: { vi: 'Tổng số thiết bị', en: 'All devices' }, value: all.length, unit: '', method: M.count });
  const allUp = sumUptime(f, all);
  const allNote = unknownNote(allUp.unknownS);
  out.push({
    id: 'availability.all',
    system: null,
    label: { vi: 'Độ sẵn sàng chung', en: 'Overall availability' },
    value: pct(allUp.upS, allUp.upS + allUp.downS),
    unit: '%',
    method: M.availability,
    ...(allNote ? { note: allNote } : {}),
  });
  for (const k of DEVICE_KINDS) out.push(...kindFigures(f, k, opts));
  return out;
}

function kindFigures(f: ScopeFacts, k: DeviceKind, opts: { ward: boolean }): Figure[] {
  const devs = f.devices.filter((d) => d.kind === k.name);
  const ids = devs.map((d) => d.id);
  const out: Figure[] = [];
  const add = (id: string, vi: string, en: string, value: number | null, unit: string, method: Text, note?: Text): void => {
    out.push({ id: `${k.name}.${id}`, system: k.name, label: label(k, vi, en), value, unit, method, ...(note ? { note } : {}) });
  };
  add('devices', 'số thiết bị', 'devices', devs.length, '', M.count);
  add('onlineNow', 'tỷ lệ trực tuyến hiện tại', 'online now', pct(devs.filter((d) => d.online === true).length, devs.length), '%', M.online);
  const up = sumUptime(f, ids);
  const av = availability(up);
  add(
    'availability',
    'độ sẵn sàng trong kỳ',
    'availability over the period',
    av === null ? null : round(av * 100),
    '%',
    M.availability,
    av === null ? { vi: 'Chưa có dữ liệu trạng thái trong kỳ.', en: 'No status data in the period.' } : unknownNote(up.unknownS),
  );
  const repairs = f.repairs.filter((r) => ids.includes(r.deviceId));
  const mttr = repairs.length ? repairs.reduce((s, r) => s + (r.clearedAt - r.raisedAt), 0) / repairs.length / 3600_000 : null;
  const faults = f.faults.filter((x) => ids.includes(x.deviceId));
  add('faultsRaised', 'số sự cố phát sinh', 'faults raised', faults.length, '', M.faultsRaised);
  add('faultsFixed', 'số sự cố đã khắc phục', 'faults repaired', repairs.length, '', M.faultsFixed);
  add('faultsOpen', 'số sự cố chưa khắc phục', 'faults still open', faults.filter((x) => x.closedAt === null).length, '', M.faultsOpen);
  add('mttr', 'thời gian khắc phục trung bình (MTTR)', 'mean time to repair (MTTR)', mttr === null ? null : round(mttr), 'h', M.mttr, {
    vi: `${repairs.length} sự cố được khắc phục trong kỳ.`,
    en: `${repairs.length} repairs in the period.`,
  });
  const spec = k.indicators;
  if (spec?.remoteControl) {
    const reachable = ids.filter((id) => (f.recentUp.get(id) ?? 0) > 0).length;
    add('remoteControl', 'tỷ lệ đèn được điều khiển từ xa', 'under remote control', pct(reachable, devs.length), '%', fill(M.remote, { d: f.recentDays }));
  }
  const lighting = k.capabilities?.lighting;
  if (lighting) out.push(...energyFigures(f, k, devs, lighting.energyMetric, lighting.burningHoursMetric, lighting.defaultRatedPowerW));
  if (spec?.groupCoverage) out.push(...coverageFigures(f, k, devs, opts));
  if (spec?.sessions) {
    add('sessions', 'số phiên truy cập', 'sessions', Math.round(sumMap(f.counters.get(spec.sessions.metric), ids)), '', M.sessions);
    const source = spec.sessions.uniqueUsersSource;
    const byDevice = source ? f.sessionUsers?.get(source) : undefined;
    if (byDevice) {
      // Distinct over the scope, not summed per point: one person using two points is one user.
      const users = new Set(ids.flatMap((id) => byDevice.get(id) ?? []));
      add('uniqueUsers', 'số người dùng', 'unique users', users.size, '', M.usersCounted);
    } else {
      add('uniqueUsers', 'số người dùng', 'unique users', null, '', M.users, { vi: 'Chưa có nguồn dữ liệu.', en: 'No data source yet.' });
    }
  }
  if (spec?.traffic) {
    const bytes = spec.traffic.metrics.reduce((s, m) => s + sumMap(f.counters.get(m), ids), 0);
    add('trafficGB', 'lưu lượng', 'traffic', round(bytes / 1e9, 3), 'GB', M.traffic);
  }
  if (spec?.snapshot) {
    const metric = spec.snapshot.metric;
    add(
      'snapshotNow',
      'tỷ lệ camera có ảnh chụp hoạt động',
      'with a working snapshot',
      pct(devs.filter((d) => d.state[metric] === true).length, devs.length),
      '%',
      M.snapNow,
    );
    const g = f.gauges.get(metric);
    let s = 0;
    let n = 0;
    for (const id of ids) {
      s += g?.get(id)?.sum ?? 0;
      n += g?.get(id)?.count ?? 0;
    }
    add('snapshotRate', 'tỷ lệ kiểm tra ảnh chụp thành công trong kỳ', 'snapshot probes succeeding over the period', pct(s, n), '%', M.snapRate);
  }
  if (k.capabilities?.broadcast) {
    const logs = f.playLogs.filter((p) => ids.includes(p.deviceId) && p.result !== 'failed');
    add('bulletins', 'số bản tin đã phát', 'bulletins aired', new Set(logs.map((p) => p.broadcastId)).size, '', M.bulletins);
    add('airtimeH', 'tổng thời lượng phát', 'airtime', round(logs.reduce((s, p) => s + Math.max(0, p.end - p.start), 0) / 3600_000), 'h', M.airtime);
  }
  return out;
}

function energyFigures(f: ScopeFacts, k: DeviceKind, devs: IndicatorDevice[], energyMetric: string, hoursMetric: string, defaultW: number): Figure[] {
  const energy = f.counters.get(energyMetric);
  const hours = f.counters.get(hoursMetric);
  let used = 0;
  let baseline = 0;
  for (const d of devs) {
    used += energy?.get(d.id) ?? 0;
    const rated = typeof d.asset.ratedPowerW === 'number' && d.asset.ratedPowerW > 0 ? d.asset.ratedPowerW : defaultW;
    baseline += ((hours?.get(d.id) ?? 0) * rated) / 1000;
  }
  const saved = baseline - used;
  const mk = (id: string, vi: string, en: string, value: number | null, unit: string, method: Text): Figure => ({
    id: `${k.name}.${id}`,
    system: k.name,
    label: label(k, vi, en),
    value,
    unit,
    method,
  });
  return [
    mk('energyUsedKWh', 'điện năng tiêu thụ', 'energy used', round(used), 'kWh', M.energyUsed),
    mk('energyBaselineKWh', 'điện năng ở 100% công suất', 'full-power baseline', round(baseline), 'kWh', M.energyBase),
    mk('energySavedKWh', 'điện năng tiết kiệm', 'energy saved', baseline > 0 ? round(saved) : null, 'kWh', M.energySaved),
    mk('energySavedPct', 'tỷ lệ tiết kiệm điện', 'energy saved', pct(saved, baseline), '%', M.energySaved),
  ];
}

function coverageFigures(f: ScopeFacts, k: DeviceKind, devs: IndicatorDevice[], opts: { ward: boolean }): Figure[] {
  const mk = (id: string, vi: string, en: string, value: number | null, unit: string, method: Text): Figure => ({
    id: `${k.name}.${id}`,
    system: k.name,
    label: label(k, vi, en),
    value,
    unit,
    method,
  });
  const inGroup = (g: string): IndicatorDevice[] => devs.filter((d) => d.groupId === g);
  const servedNow = f.groups.filter((g) => inGroup(g.id).some((d) => d.online === true)).length;
  const servedPeriod = f.groups.filter((g) =>
    inGroup(g.id).some((d) => (availability(f.uptime.get(d.id) ?? { upS: 0, downS: 0 }) ?? 0) * 100 >= f.servedAvailability),
  ).length;
  const assigned = devs.filter((d) => d.groupId !== null).length;
  const out = [
    mk(
      'pointsPerGroup',
      opts.ward ? 'số điểm bình quân mỗi tổ dân phố' : 'số điểm của tổ dân phố',
      opts.ward ? 'points per residential group' : 'points in the group',
      opts.ward ? (f.groups.length ? round(assigned / f.groups.length) : null) : assigned,
      '',
      M.points,
    ),
    mk(
      'groupsServedNow',
      opts.ward ? 'tỷ lệ tổ dân phố có điểm hoạt động (hiện tại)' : 'có điểm hoạt động (hiện tại)',
      opts.ward ? 'groups with a working point now' : 'has a working point now',
      pct(servedNow, f.groups.length),
      '%',
      M.servedNow,
    ),
    mk(
      'groupsServedPeriod',
      opts.ward ? 'tỷ lệ tổ dân phố có điểm hoạt động trong kỳ' : 'có điểm hoạt động trong kỳ',
      opts.ward ? 'groups with a working point over the period' : 'had a working point over the period',
      pct(servedPeriod, f.groups.length),
      '%',
      fill(M.servedPeriod, { a: f.servedAvailability }),
    ),
  ];
  return out;
}

export const EMERGENCY_METHOD = M.emergency;

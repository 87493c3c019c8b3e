/**
 * Indicator figures, pure: from per-device facts of one scope (the ward or one residential group) to the plan's
 * numbers, each with the method that produced it in Vietnamese and English (docs/health.md "Indicators").
 */
import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { DeviceKind } from '../../../devices/types.ts';
import { availability, type UptimeTotals } from '../uptime/uptime-math.ts';
import type { IndicatorDevice, PlayLog, Repair } from './indicators.repository.ts';

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
  /** Residential groups of the scope and, for coverage, which kinds' devices serve them. */
  groups: { id: string; name: string }[];
  /** Availability at or above this makes a group "served over the period". */
  servedAvailability: number;
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
  count: { vi: 'Đếm thiết bị thuộc hệ thống đã lắp đặt (ngày lắp đặt, hoặc ngày đăng ký nếu chưa nhập) trước khi kỳ kết thúc.', en: 'Devices of the system installed (installation date, or registration date when none was entered) before the period ends.' },
  online: { vi: 'Số thiết bị đang trực tuyến tại thời điểm lập báo cáo / tổng số thiết bị.', en: 'Devices online when the report was generated / all devices.' },
  availability: {
    vi: 'Thời gian hoạt động / (thời gian hoạt động + thời gian mất kết nối) trong kỳ, cộng trên mọi thiết bị; không tính thời gian bảo trì theo kế hoạch và thời gian không xác định (trước lắp đặt, trước báo cáo đầu tiên, khi dịch vụ không chạy và vài phút sau khi dịch vụ khởi động lại cho đến khi thiết bị kết nối lại).',
    en: 'Up time / (up time + down time) over the period, summed over the devices; planned maintenance and unknown time (before installation or the first report, while the service was not running, and after a service restart until the device reconnects, at most a few minutes) are left out.',
  },
  mttr: {
    vi: 'Trung bình (thời điểm hết cảnh báo − thời điểm phát sinh) của các cảnh báo mức nghiêm trọng được tự động xóa (sự cố đã khắc phục) trong kỳ; không tính cảnh báo chập chờn.',
    en: 'Mean of (cleared − raised) over critical alarms cleared by the condition ending (a repair) within the period; flapping alarms excluded.',
  },
  remote: { vi: 'Số bộ điều khiển có kết nối với hệ thống trung tâm trong {d} ngày cuối kỳ / tổng số đèn.', en: 'Controllers reachable by the central system during the last {d} days of the period / all streetlights of the system.' },
  energyUsed: {
    vi: 'Tổng điện năng tiêu thụ = tăng của bộ đếm kWh mỗi đèn trong kỳ, tính theo từng lần đọc (mỗi bước tăng tính vào giờ nó kết thúc; bộ đếm bị đặt lại được tính từ 0, kể cả trong cùng một giờ; bước cách lần đọc trước hơn 7 ngày không tính; gồm cả số liệu mới nhất chưa vào bảng tổng hợp).',
    en: 'Sum over luminaires of the kWh counter increase in the period, reading by reading (each step counts in the hour it ends; a counter reset counts from zero, also within one hour; a step more than 7 days after the previous reading is not counted; includes the latest readings not yet in the hourly rollup).',
  },
  energyBase: { vi: 'Điện năng nếu đèn chạy 100% công suất định mức trong số giờ sáng thực tế: công suất định mức (tài sản ratedPowerW, mặc định theo loại) × tăng của bộ đếm giờ sáng.', en: 'Energy at full rated power over the actual burning hours: rated power (asset ratedPowerW, else the kind default) × increase of the burning-hours counter.' },
  energySaved: { vi: 'Điện năng tiết kiệm = mức cơ sở (100% công suất) − điện năng tiêu thụ; tỷ lệ = tiết kiệm / mức cơ sở.', en: 'Saved = full-power baseline − energy used; share = saved / baseline.' },
  points: { vi: 'Số điểm đã lắp đặt có gán tổ dân phố; trung bình trên số tổ dân phố của phường.', en: 'Installed points assigned to a residential group; mean over the ward\'s residential groups.' },
  servedNow: { vi: 'Số tổ dân phố có ít nhất 1 điểm đang trực tuyến tại thời điểm lập báo cáo / tổng số tổ dân phố.', en: 'Residential groups with at least one point online at report time / all residential groups.' },
  servedPeriod: { vi: 'Số tổ dân phố có ít nhất 1 điểm đạt độ sẵn sàng ≥ {a}% trong kỳ / tổng số tổ dân phố.', en: 'Residential groups with at least one point at ≥ {a}% availability over the period / all residential groups.' },
  sessions: { vi: 'Tổng tăng của bộ đếm phiên truy cập (sessions) của các điểm trong kỳ.', en: 'Sum of the session counter increases of the points in the period.' },
  users: { vi: 'Chưa có nguồn dữ liệu: điểm truy cập chỉ báo số phiên; chưa thu nhận bản ghi theo người dùng (RADIUS/cổng đăng nhập).', en: 'No data source yet: access points report session counts only; per-user records (RADIUS accounting, portal logins) are not ingested.' },
  traffic: { vi: 'Tổng tăng của các bộ đếm byte (nhận + gửi) trong kỳ, đổi ra GB (10⁹ byte).', en: 'Sum of the byte counters\' increases (received + sent) in the period, in GB (10⁹ bytes).' },
  snapNow: { vi: 'Số camera có lần kiểm tra ảnh chụp gần nhất thành công / tổng số camera.', en: 'Cameras whose latest snapshot probe succeeded / all cameras.' },
  snapRate: { vi: 'Tỷ lệ lần kiểm tra ảnh chụp thành công trong kỳ (trung bình của chỉ số snapshotOk).', en: 'Share of snapshot probes that succeeded in the period (mean of snapshotOk).' },
  bulletins: { vi: 'Số bản tin khác nhau (broadcastId) đã phát trên ít nhất 1 cụm loa (nhật ký phát, kết quả khác "failed"), bắt đầu trong kỳ.', en: 'Distinct bulletins (broadcastId) aired on at least one cluster (play log, result not "failed"), started within the period.' },
  airtime: { vi: 'Tổng thời lượng phát (kết thúc − bắt đầu) của mọi lần phát trên mọi cụm loa, tính bằng giờ.', en: 'Sum of (end − start) of every airing on every cluster, in hours.' },
  emergency: { vi: 'Trung bình (lần phát đầu tiên trên một cụm loa − thời điểm yêu cầu) của các bản tin khẩn cấp yêu cầu trong kỳ.', en: 'Mean of (first airing on any cluster − time requested) over emergency bulletins requested in the period.' },
} satisfies Record<string, Text>;

const fill = (t: Text, vars: Record<string, string | number>): Text => {
  let { vi, en } = t;
  for (const [k, v] of Object.entries(vars)) {
    vi = vi.replaceAll(`{${k}}`, String(v));
    en = en.replaceAll(`{${k}}`, String(v));
  }
  return { vi, en };
};

const label = (k: DeviceKind, vi: string, en: string): Text => ({ vi: `${k.indicators?.system.vi ?? k.label.vi}: ${vi}`, en: `${k.indicators?.system.en ?? k.label.en}: ${en}` });

/** The figures of one scope. `ward` adds figures only a ward has (coverage shares, emergencies go in separately). */
export function scopeFigures(f: ScopeFacts, opts: { ward: boolean }): Figure[] {
  const out: Figure[] = [];
  const all = f.devices.map((d) => d.id);
  out.push({ id: 'devices.total', system: null, label: { vi: 'Tổng số thiết bị', en: 'All devices' }, value: all.length, unit: '', method: M.count });
  const allUp = sumUptime(f, all);
  const allNote = unknownNote(allUp.unknownS);
  out.push({ id: 'availability.all', system: null, label: { vi: 'Độ sẵn sàng chung', en: 'Overall availability' }, value: pct(allUp.upS, allUp.upS + allUp.downS), unit: '%', method: M.availability, ...(allNote ? { note: allNote } : {}) });
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
  add('availability', 'độ sẵn sàng trong kỳ', 'availability over the period', av === null ? null : round(av * 100), '%', M.availability, av === null ? { vi: 'Chưa có dữ liệu trạng thái trong kỳ.', en: 'No status data in the period.' } : unknownNote(up.unknownS));
  const repairs = f.repairs.filter((r) => ids.includes(r.deviceId));
  const mttr = repairs.length ? repairs.reduce((s, r) => s + (r.clearedAt - r.raisedAt), 0) / repairs.length / 3600_000 : null;
  add('mttr', 'thời gian khắc phục trung bình (MTTR)', 'mean time to repair (MTTR)', mttr === null ? null : round(mttr), 'h', M.mttr,
    { vi: `${repairs.length} sự cố được khắc phục trong kỳ.`, en: `${repairs.length} repairs in the period.` });
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
    add('uniqueUsers', 'số người dùng', 'unique users', null, '', M.users, spec.sessions.uniqueUsersSource ? undefined : { vi: 'Chưa có nguồn dữ liệu.', en: 'No data source yet.' });
  }
  if (spec?.traffic) {
    const bytes = spec.traffic.metrics.reduce((s, m) => s + sumMap(f.counters.get(m), ids), 0);
    add('trafficGB', 'lưu lượng', 'traffic', round(bytes / 1e9, 3), 'GB', M.traffic);
  }
  if (spec?.snapshot) {
    const metric = spec.snapshot.metric;
    add('snapshotNow', 'tỷ lệ camera có ảnh chụp hoạt động', 'with a working snapshot', pct(devs.filter((d) => d.state[metric] === true).length, devs.length), '%', M.snapNow);
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
  const mk = (id: string, vi: string, en: string, value: number | null, unit: string, method: Text): Figure => ({ id: `${k.name}.${id}`, system: k.name, label: label(k, vi, en), value, unit, method });
  return [
    mk('energyUsedKWh', 'điện năng tiêu thụ', 'energy used', round(used), 'kWh', M.energyUsed),
    mk('energyBaselineKWh', 'điện năng ở 100% công suất', 'full-power baseline', round(baseline), 'kWh', M.energyBase),
    mk('energySavedKWh', 'điện năng tiết kiệm', 'energy saved', baseline > 0 ? round(saved) : null, 'kWh', M.energySaved),
    mk('energySavedPct', 'tỷ lệ tiết kiệm điện', 'energy saved', pct(saved, baseline), '%', M.energySaved),
  ];
}

function coverageFigures(f: ScopeFacts, k: DeviceKind, devs: IndicatorDevice[], opts: { ward: boolean }): Figure[] {
  const mk = (id: string, vi: string, en: string, value: number | null, unit: string, method: Text): Figure => ({ id: `${k.name}.${id}`, system: k.name, label: label(k, vi, en), value, unit, method });
  const inGroup = (g: string): IndicatorDevice[] => devs.filter((d) => d.groupId === g);
  const servedNow = f.groups.filter((g) => inGroup(g.id).some((d) => d.online === true)).length;
  const servedPeriod = f.groups.filter((g) => inGroup(g.id).some((d) => (availability(f.uptime.get(d.id) ?? { upS: 0, downS: 0 }) ?? 0) * 100 >= f.servedAvailability)).length;
  const assigned = devs.filter((d) => d.groupId !== null).length;
  const out = [
    mk('pointsPerGroup', opts.ward ? 'số điểm bình quân mỗi tổ dân phố' : 'số điểm của tổ dân phố', opts.ward ? 'points per residential group' : 'points in the group', opts.ward ? (f.groups.length ? round(assigned / f.groups.length) : null) : assigned, '', M.points),
    mk('groupsServedNow', opts.ward ? 'tỷ lệ tổ dân phố có điểm hoạt động (hiện tại)' : 'có điểm hoạt động (hiện tại)', opts.ward ? 'groups with a working point now' : 'has a working point now', pct(servedNow, f.groups.length), '%', M.servedNow),
    mk('groupsServedPeriod', opts.ward ? 'tỷ lệ tổ dân phố có điểm hoạt động trong kỳ' : 'có điểm hoạt động trong kỳ', opts.ward ? 'groups with a working point over the period' : 'had a working point over the period', pct(servedPeriod, f.groups.length), '%', fill(M.servedPeriod, { a: f.servedAvailability })),
  ];
  return out;
}

export const EMERGENCY_METHOD = M.emergency;

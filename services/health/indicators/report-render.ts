import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { Figure, Text } from './figures.ts';
import type { IndicatorReport } from './indicators.service.ts';

export type Lang = 'vi' | 'en';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const csvCell = (v: string | number | null | undefined): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per figure and scope; UTF-8 with a BOM so spreadsheet programs read the Vietnamese correctly. */
export function reportCsv(r: IndicatorReport): string {
  const head = ['period', 'scope', 'scope_id', 'scope_name', 'indicator', 'system', 'label_vi', 'label_en', 'value', 'unit', 'note_vi', 'note_en', 'method_vi', 'method_en'];
  const rows: string[] = [head.join(',')];
  const emit = (scope: string, id: string, name: string, f: Figure): void => {
    rows.push([r.period.code, scope, id, name, f.id, f.system ?? '', f.label.vi, f.label.en, f.value, f.unit, f.note?.vi, f.note?.en, f.method.vi, f.method.en].map(csvCell).join(','));
  };
  for (const f of r.figures) emit('ward', r.ward.code, r.ward.name, f);
  for (const g of r.groups) for (const f of g.figures) emit('group', g.id, g.name, f);
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}

const fmt = (v: number | null, unit: string, lang: Lang): string => {
  if (v === null) return lang === 'vi' ? 'không có số liệu' : 'n/a';
  const n = v.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US', { maximumFractionDigits: 2 });
  return unit ? `${n} ${unit}` : n;
};

const WORDS = {
  report: { vi: 'BÁO CÁO', en: 'REPORT' },
  subtitle: { vi: 'Kết quả vận hành hạ tầng đô thị thông minh: chiếu sáng, WiFi công cộng, camera, truyền thanh cơ sở', en: 'Smart-ward infrastructure: lighting, public WiFi, cameras, commune radio' },
  period: { vi: 'Kỳ báo cáo', en: 'Reporting period' },
  generated: { vi: 'Lập lúc', en: 'Generated' },
  provisional: { vi: 'Số liệu tạm tính: kỳ báo cáo chưa kết thúc, số liệu tính đến', en: 'Provisional: the period has not ended; data up to' },
  summary: { vi: 'I. Chỉ tiêu toàn phường', en: 'I. Ward indicators' },
  groups: { vi: 'II. Theo tổ dân phố', en: 'II. By residential group' },
  emergencies: { vi: 'III. Bản tin khẩn cấp', en: 'III. Emergency bulletins' },
  methods: { vi: 'IV. Cách tính', en: 'IV. How each figure is computed' },
  indicator: { vi: 'Chỉ tiêu', en: 'Indicator' },
  value: { vi: 'Giá trị', en: 'Value' },
  note: { vi: 'Ghi chú', en: 'Note' },
  group: { vi: 'Tổ dân phố', en: 'Residential group' },
  chartAvail: { vi: 'Độ sẵn sàng theo hệ thống (%)', en: 'Availability by system (%)' },
  chartEnergy: { vi: 'Điện năng chiếu sáng theo tháng (kWh): tiêu thụ và tiết kiệm', en: 'Lighting energy by month (kWh): used and saved' },
  used: { vi: 'Tiêu thụ', en: 'Used' },
  saved: { vi: 'Tiết kiệm', en: 'Saved' },
  none: { vi: 'Không có bản tin khẩn cấp trong kỳ.', en: 'No emergency bulletins in the period.' },
  unavailable: { vi: 'Không có số liệu (mô-đun phát thanh chưa hoạt động).', en: 'Not available (radio module not installed).' },
  requested: { vi: 'Yêu cầu lúc', en: 'Requested' },
  aired: { vi: 'Phát lúc', en: 'First aired' },
  tta: { vi: 'Thời gian đến khi phát (s)', en: 'Time to air (s)' },
  preparer: { vi: 'NGƯỜI LẬP BÁO CÁO', en: 'PREPARED BY' },
  approver: { vi: 'LÃNH ĐẠO ĐƠN VỊ', en: 'APPROVED BY' },
} satisfies Record<string, Text>;

/** Horizontal bars 0–100 %, one per system. */
function availabilityChart(r: IndicatorReport, lang: Lang): string {
  const rows = r.charts.availability;
  const h = 28 * rows.length + 30;
  const bars = rows.map((row, i) => {
    const y = 10 + i * 28;
    const w = row.value === null ? 0 : (row.value / 100) * 300;
    const text = row.value === null ? (lang === 'vi' ? 'không có số liệu' : 'n/a') : `${row.value.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US')} %`;
    return `<text x="0" y="${y + 15}" font-size="11">${esc(row.label[lang].slice(0, 48))}</text>
      <rect x="300" y="${y}" width="300" height="20" fill="#eef2f6"/><rect x="300" y="${y}" width="${w.toFixed(1)}" height="20" fill="#1f6fb2"/>
      <text x="${(305 + w).toFixed(1)}" y="${y + 15}" font-size="11">${esc(text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="680" height="${h}" role="img" aria-label="${esc(WORDS.chartAvail[lang])}">${bars.join('')}</svg>`;
}

/** Pairs of vertical bars per month: energy used and saved. */
function energyChart(r: IndicatorReport, lang: Lang): string {
  const rows = r.charts.energyByMonth;
  if (!rows.length) return '';
  const max = Math.max(1, ...rows.flatMap((m) => [m.usedKWh, Math.max(0, m.savedKWh)]));
  const slot = Math.min(90, 600 / rows.length);
  const bar = (slot - 10) / 2;
  const parts = rows.map((m, i) => {
    const x = 40 + i * slot;
    const hu = (m.usedKWh / max) * 160;
    const hs = (Math.max(0, m.savedKWh) / max) * 160;
    return `<rect x="${x.toFixed(1)}" y="${(180 - hu).toFixed(1)}" width="${bar.toFixed(1)}" height="${hu.toFixed(1)}" fill="#1f6fb2"/>
      <rect x="${(x + bar).toFixed(1)}" y="${(180 - hs).toFixed(1)}" width="${bar.toFixed(1)}" height="${hs.toFixed(1)}" fill="#3aa655"/>
      <text x="${x.toFixed(1)}" y="196" font-size="10">${esc(m.month)}</text>`;
  });
  const legend = `<rect x="40" y="206" width="10" height="10" fill="#1f6fb2"/><text x="54" y="215" font-size="11">${esc(WORDS.used[lang])}</text>
    <rect x="140" y="206" width="10" height="10" fill="#3aa655"/><text x="154" y="215" font-size="11">${esc(WORDS.saved[lang])}</text>
    <text x="0" y="24" font-size="10">${esc(Math.round(max).toLocaleString())}</text><line x1="38" y1="20" x2="38" y2="180" stroke="#888"/><line x1="38" y1="180" x2="660" y2="180" stroke="#888"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="680" height="222" role="img" aria-label="${esc(WORDS.chartEnergy[lang])}">${parts.join('')}${legend}</svg>`;
}

/** Columns of the per-group table: totals, then one or two telling figures per system (from the kinds' declarations). */
function groupColumns(): string[] {
  const cols = ['devices.total', 'availability.all'];
  for (const k of DEVICE_KINDS) {
    if (k.indicators?.remoteControl) cols.push(`${k.name}.remoteControl`);
    if (k.indicators?.groupCoverage) cols.push(`${k.name}.pointsPerGroup`, `${k.name}.groupsServedNow`);
    else cols.push(`${k.name}.onlineNow`);
  }
  return cols;
}

/** The printable report a ward office files: Vietnamese by default, every figure with its method. */
export function reportHtml(r: IndicatorReport, lang: Lang = 'vi', timeZone = 'Asia/Ho_Chi_Minh'): string {
  const w = (k: keyof typeof WORDS): string => esc(WORDS[k][lang]);
  const tz = { timeZone };
  const when = (iso: string): string => new Date(iso).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', tz);
  const figureRows = r.figures.map((f) => `<tr><td>${esc(f.label[lang])}</td><td class="num">${esc(fmt(f.value, f.unit, lang))}</td><td>${esc(f.note?.[lang] ?? '')}</td></tr>`).join('');
  const cols = groupColumns().filter((id) => r.groups.some((g) => g.figures.some((f) => f.id === id)));
  const colLabel = (id: string): string => esc(r.groups[0]?.figures.find((f) => f.id === id)?.label[lang] ?? id);
  const groupRows = r.groups.map((g) => `<tr><td>${esc(g.name)}</td>${cols.map((id) => {
    const f = g.figures.find((x) => x.id === id);
    return `<td class="num">${esc(f ? fmt(f.value, f.unit, lang) : '')}</td>`;
  }).join('')}</tr>`).join('');
  const emergencies = !r.emergencies.available ? `<p>${w('unavailable')}</p>` : r.emergencies.items.length === 0 ? `<p>${w('none')}</p>`
    : `<table><tr><th>ID</th><th>${w('requested')}</th><th>${w('aired')}</th><th>${w('tta')}</th></tr>${r.emergencies.items.map((e) => `<tr><td>${esc(e.title)} (${esc(e.id)})</td><td>${esc(when(e.requestedAt))}</td><td>${esc(e.firstAirAt ? when(e.firstAirAt) : '—')}</td><td class="num">${esc(fmt(e.timeToAirS, '', lang))}</td></tr>`).join('')}</table>`;
  const methods = r.figures.map((f) => `<li><b>${esc(f.label[lang])}</b>: ${esc(f.method[lang])}</li>`).join('');
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${w('report')} — ${esc(r.ward.name)} — ${esc(r.period.label[lang])}</title>
<style>
  @page { size: A4; margin: 18mm 15mm; }
  body { font-family: 'Noto Serif', 'Noto Sans', 'DejaVu Serif', 'DejaVu Sans', serif; font-size: 12px; color: #111; }
  header { display: flex; justify-content: space-between; text-align: center; }
  h1 { text-align: center; font-size: 18px; margin: 18px 0 4px; } h2 { font-size: 14px; margin-top: 18px; }
  .sub { text-align: center; font-style: italic; } .warn { color: #9a3412; font-weight: bold; text-align: center; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0; page-break-inside: auto; } tr { page-break-inside: avoid; }
  th, td { border: 1px solid #888; padding: 3px 5px; vertical-align: top; } th { background: #eef2f6; } td.num { text-align: right; white-space: nowrap; }
  ol.methods li { margin-bottom: 3px; } .sign { display: flex; justify-content: space-around; margin-top: 30px; text-align: center; font-weight: bold; }
</style></head><body>
<header><div><b>${esc(r.ward.name.toUpperCase())}</b><br>${lang === 'vi' ? 'Mã ĐVHC' : 'Ward code'}: ${esc(r.ward.code)}</div>
<div><b>${lang === 'vi' ? 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' : 'SOCIALIST REPUBLIC OF VIETNAM'}</b><br><u>${lang === 'vi' ? 'Độc lập - Tự do - Hạnh phúc' : 'Independence - Freedom - Happiness'}</u></div></header>
<h1>${w('report')}</h1>
<p class="sub">${w('subtitle')}</p>
<p class="sub">${w('period')}: <b>${esc(r.period.label[lang])}</b> — ${w('generated')}: ${esc(when(r.generatedAt))}</p>
${r.complete ? '' : `<p class="warn">${w('provisional')} ${esc(when(r.asOf))}.</p>`}
<h2>${w('summary')}</h2>
<table><tr><th>${w('indicator')}</th><th>${w('value')}</th><th>${w('note')}</th></tr>${figureRows}</table>
<h2>${w('chartAvail')}</h2>${availabilityChart(r, lang)}
${r.charts.energyByMonth.length ? `<h2>${w('chartEnergy')}</h2>${energyChart(r, lang)}` : ''}
<h2>${w('groups')}</h2>
<table><tr><th>${w('group')}</th>${cols.map((c) => `<th>${colLabel(c)}</th>`).join('')}</tr>${groupRows}</table>
<h2>${w('emergencies')}</h2>${emergencies}
<h2>${w('methods')}</h2><ol class="methods">${methods}</ol>
<div class="sign"><div>${w('preparer')}</div><div>${w('approver')}</div></div>
</body></html>`;
}

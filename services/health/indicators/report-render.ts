import { DEVICE_KINDS } from '../../../devices/index.ts';
import type { Figure, Text } from './figures.ts';
import type { IndicatorReport } from './indicators.service.ts';
import { officialDate, officialHead, officialClosing, OFFICIAL_CSS, type OfficialHeader } from './official-layout.ts';

export type { OfficialHeader };
export type Lang = 'vi' | 'en';

/**
 * CSV dialects. `excel-vi` is what a ward office opens: Excel with Vietnamese regional settings splits on the list
 * separator ";" and reads "," as the decimal mark, so numbers are written 12,5 and cells are separated by ";". The
 * UTF-8 BOM makes Excel read the Vietnamese text as UTF-8; there is no "sep=;" line because Excel then ignores the BOM
 * and shows the accents garbled. `rfc4180` (commas, decimal points) is for scripts.
 */
export type CsvDialect = 'excel-vi' | 'rfc4180';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function csvCell(v: string | number | boolean | null | undefined, dialect: CsvDialect): string {
  if (v === null || v === undefined) return '';
  let s: string;
  if (typeof v === 'number') s = dialect === 'excel-vi' ? String(v).replace('.', ',') : String(v);
  else if (typeof v === 'boolean') s = v ? '1' : '0';
  // A text cell starting with = + - @ would run as a formula in a spreadsheet (names come from operators' input).
  else s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  const sep = dialect === 'excel-vi' ? ';' : ',';
  return s.includes(sep) || /["\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per figure and scope, UTF-8 with a BOM; target columns empty where the plan sets none. */
export function reportCsv(r: IndicatorReport, dialect: CsvDialect = 'excel-vi'): string {
  const sep = dialect === 'excel-vi' ? ';' : ',';
  const head = [
    'period',
    'cutoff_day',
    'scope',
    'scope_id',
    'scope_name',
    'indicator',
    'system',
    'label_vi',
    'label_en',
    'value',
    'unit',
    'target_comparator',
    'target',
    'target_period',
    'target_met',
    'target_source',
    'note_vi',
    'note_en',
    'method_vi',
    'method_en',
  ];
  const rows: string[] = [head.join(sep)];
  const emit = (scope: string, id: string, name: string, f: Figure): void => {
    const t = f.target;
    rows.push(
      [
        r.period.code,
        r.cutoffDay,
        scope,
        id,
        name,
        f.id,
        f.system ?? '',
        f.label.vi,
        f.label.en,
        f.value,
        f.unit,
        t?.comparator,
        t?.value,
        t?.period,
        t ? t.met : undefined,
        t?.source,
        f.note?.vi,
        f.note?.en,
        f.method.vi,
        f.method.en,
      ]
        .map((c) => csvCell(c, dialect))
        .join(sep),
    );
  };
  for (const f of r.figures) emit('ward', r.ward.code, r.ward.name, f);
  for (const g of r.groups) for (const f of g.figures) emit('group', g.id, g.name, f);
  return `\uFEFF${rows.join('\r\n')}\r\n`;
}

const num = (v: number, lang: Lang): string => v.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US', { maximumFractionDigits: 2 });
const fmt = (v: number | null, unit: string, lang: Lang): string => {
  if (v === null) return lang === 'vi' ? 'không có số liệu' : 'n/a';
  return unit ? `${num(v, lang)} ${unit}` : num(v, lang);
};
const CMP: Record<string, string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };

const WORDS = {
  report: { vi: 'BÁO CÁO', en: 'REPORT' },
  subject: { vi: 'Kết quả vận hành hạ tầng đô thị thông minh', en: 'Operation of the smart-ward infrastructure' },
  intro: {
    vi: 'Thực hiện kế hoạch phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số của phường, {issuer} báo cáo kết quả vận hành hệ thống chiếu sáng thông minh, điểm WiFi công cộng, camera quan sát và đài truyền thanh cơ sở {period}, số liệu tính đến hết ngày {cut}, như sau:',
    en: "Under the ward's plan for science, technology, innovation and digital transformation, {issuer} reports on the smart lighting, public WiFi, cameras and commune radio for {period}, with data up to the end of {cut}:",
  },
  provisional: { vi: 'Số liệu tạm tính: ngày chốt số liệu chưa qua; số liệu tính đến', en: 'Provisional: the cut-off day has not passed yet; data up to' },
  summary: { vi: 'I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU', en: 'I. INDICATORS: RESULTS AGAINST THE PLAN' },
  faults: { vi: 'II. SỰ CỐ VÀ KHẮC PHỤC', en: 'II. FAULTS AND REPAIRS' },
  groups: { vi: 'III. KẾT QUẢ THEO TỔ DÂN PHỐ', en: 'III. BY RESIDENTIAL GROUP' },
  emergencies: { vi: 'IV. BẢN TIN KHẨN CẤP', en: 'IV. EMERGENCY BULLETINS' },
  methods: { vi: 'V. CÁCH TÍNH CÁC CHỈ TIÊU', en: 'V. HOW EACH FIGURE IS COMPUTED' },
  no: { vi: 'STT', en: 'No.' },
  indicator: { vi: 'Chỉ tiêu', en: 'Indicator' },
  target: { vi: 'Kế hoạch', en: 'Target' },
  actual: { vi: 'Thực hiện', en: 'Actual' },
  assessment: { vi: 'Đánh giá', en: 'Assessment' },
  met: { vi: 'Đạt', en: 'Met' },
  notMet: { vi: 'Chưa đạt', en: 'Not met' },
  noTarget: { vi: '—', en: '—' },
  yearTarget: { vi: 'chỉ tiêu năm', en: 'year target' },
  proposal: { vi: 'đề xuất', en: 'proposed' },
  note: { vi: 'Ghi chú', en: 'Note' },
  system: { vi: 'Hệ thống', en: 'System' },
  raised: { vi: 'Phát sinh', en: 'Raised' },
  fixed: { vi: 'Đã khắc phục', en: 'Repaired' },
  open: { vi: 'Còn tồn', en: 'Still open' },
  mttr: { vi: 'Thời gian khắc phục trung bình (giờ)', en: 'Mean time to repair (h)' },
  wardWide: { vi: 'Toàn phường', en: 'Whole ward' },
  group: { vi: 'Tổ dân phố', en: 'Residential group' },
  dash: { vi: 'Dấu "—": không có số liệu.', en: '"—": no data.' },
  chartAvail: { vi: 'Độ sẵn sàng theo hệ thống (%)', en: 'Availability by system (%)' },
  chartEnergy: { vi: 'Điện năng chiếu sáng theo tháng (kWh): tiêu thụ và tiết kiệm', en: 'Lighting energy by month (kWh): used and saved' },
  used: { vi: 'Tiêu thụ', en: 'Used' },
  saved: { vi: 'Tiết kiệm', en: 'Saved' },
  none: { vi: 'Không có bản tin khẩn cấp trong kỳ.', en: 'No emergency bulletins in the period.' },
  unavailable: { vi: 'Không có số liệu (mô-đun phát thanh chưa hoạt động).', en: 'Not available (radio module not installed).' },
  bulletin: { vi: 'Bản tin', en: 'Bulletin' },
  requested: { vi: 'Yêu cầu lúc', en: 'Requested' },
  aired: { vi: 'Phát lúc', en: 'First aired' },
  tta: { vi: 'Thời gian đến khi phát (giây)', en: 'Time to air (s)' },
} satisfies Record<string, Text>;

/** Horizontal bars 0–100 %, one per system. */
function availabilityChart(r: IndicatorReport, lang: Lang): string {
  const rows = r.charts.availability;
  const h = 28 * rows.length + 30;
  const bars = rows.map((row, i) => {
    const y = 10 + i * 28;
    const w = row.value === null ? 0 : (row.value / 100) * 300;
    const text = row.value === null ? (lang === 'vi' ? 'không có số liệu' : 'n/a') : `${num(row.value, lang)} %`;
    return `<text x="0" y="${y + 15}" font-size="11">${esc(row.label[lang].slice(0, 48))}</text>
      <rect x="300" y="${y}" width="300" height="20" fill="#eef2f6"/><rect x="300" y="${y}" width="${w.toFixed(1)}" height="20" fill="#1f6fb2"/>
      <text x="${(305 + w).toFixed(1)}" y="${y + 15}" font-size="11">${esc(text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 680 ${h}" width="100%" role="img" aria-label="${esc(WORDS.chartAvail[lang])}">${bars.join('')}</svg>`;
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
    <text x="0" y="24" font-size="10">${esc(num(Math.round(max), lang))}</text><line x1="38" y1="20" x2="38" y2="180" stroke="#888"/><line x1="38" y1="180" x2="660" y2="180" stroke="#888"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 680 222" width="100%" role="img" aria-label="${esc(WORDS.chartEnergy[lang])}">${parts.join('')}${legend}</svg>`;
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

const systemName = (system: string | null, lang: Lang): string => {
  const k = DEVICE_KINDS.find((x) => x.name === system);
  return k ? (k.indicators?.system ?? k.label)[lang] : WORDS.wardWide[lang];
};
/** A figure's label without its "<system>: " prefix, for rows under the system's heading. */
const shortLabel = (f: Figure, lang: Lang): string => {
  const l = f.label[lang];
  const prefix = `${systemName(f.system, lang)}: `;
  return f.system && l.startsWith(prefix) ? l.slice(prefix.length) : l;
};

function table(head: string[], body: string, cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

function figureTable(r: IndicatorReport, lang: Lang): string {
  const w = (k: keyof typeof WORDS): string => esc(WORDS[k][lang]);
  const bySystem = new Map<string | null, Figure[]>();
  const faultIds = /\.(faultsRaised|faultsFixed|faultsOpen|mttr)$/;
  for (const f of r.figures) if (!faultIds.test(f.id)) bySystem.set(f.system, [...(bySystem.get(f.system) ?? []), f]);
  let n = 0;
  const rows: string[] = [];
  for (const [system, list] of bySystem) {
    rows.push(`<tr class="sys"><td colspan="6"><b>${esc(systemName(system, lang))}</b></td></tr>`);
    for (const f of list) {
      n++;
      const t = f.target;
      const target = t
        ? `${CMP[t.comparator]} ${esc(fmt(t.value, f.unit, lang))}${t.period !== r.period.code ? `<br><i>(${w('yearTarget')} ${esc(t.period)})</i>` : ''}${t.basis === 'proposal' ? `<br><i>(${w('proposal')})</i>` : ''}`
        : w('noTarget');
      const verdict = !t ? '' : t.met === null ? esc(lang === 'vi' ? 'chưa có số liệu' : 'no data') : t.met ? w('met') : `<b>${w('notMet')}</b>`;
      rows.push(
        `<tr data-figure="${esc(f.id)}"><td class="c">${n}</td><td>${esc(shortLabel(f, lang))}</td><td class="num">${target}</td><td class="num">${esc(fmt(f.value, f.unit, lang))}</td><td class="c">${verdict}</td><td class="small">${esc(f.note?.[lang] ?? '')}</td></tr>`,
      );
    }
  }
  return table([w('no'), w('indicator'), w('target'), w('actual'), w('assessment'), w('note')], rows.join(''), 'figures');
}

function faultTable(r: IndicatorReport, lang: Lang): string {
  const w = (k: keyof typeof WORDS): string => esc(WORDS[k][lang]);
  const val = (id: string): string => {
    const f = r.figures.find((x) => x.id === id);
    return f ? esc(fmt(f.value, '', lang)) : '';
  };
  const rows = DEVICE_KINDS.map(
    (k, i) =>
      `<tr data-faults="${esc(k.name)}"><td class="c">${i + 1}</td><td>${esc(systemName(k.name, lang))}</td><td class="num">${val(`${k.name}.faultsRaised`)}</td><td class="num">${val(`${k.name}.faultsFixed`)}</td><td class="num">${val(`${k.name}.faultsOpen`)}</td><td class="num">${val(`${k.name}.mttr`)}</td></tr>`,
  );
  return table([w('no'), w('system'), w('raised'), w('fixed'), w('open'), w('mttr')], rows.join(''), 'faults');
}

/** The printable report a ward office files (Decree 30/2020/NĐ-CP layout): Vietnamese by default, every figure with its method. */
export function reportHtml(
  r: IndicatorReport,
  lang: Lang = 'vi',
  header: OfficialHeader & { number?: string } = {
    parentBody: `Ủy ban nhân dân ${r.ward.name}`,
    issuer: r.ward.name,
    issuerAbbr: 'UBND',
    place: r.ward.name,
    signerTitle: [],
    signerName: '',
    recipients: [],
    timeZone: 'Asia/Ho_Chi_Minh',
  },
): string {
  const w = (k: keyof typeof WORDS): string => esc(WORDS[k][lang]);
  const when = (iso: string): string => new Date(iso).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: header.timeZone });
  const vnDay = (d: string): string => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
  const periodWords = lang === 'vi' ? r.period.label.vi.charAt(0).toLowerCase() + r.period.label.vi.slice(1) : r.period.label.en;
  const intro = WORDS.intro[lang].replace('{issuer}', header.issuer).replace('{period}', periodWords).replace('{cut}', vnDay(r.cutoffDay));
  // Many columns: numbered headings with their meaning above the table, so the heading stays short enough for
  // Chromium to repeat it on every page (a tall heading is not repeated).
  const cols = groupColumns().filter((id) => r.groups.some((g) => g.figures.some((f) => f.id === id)));
  const colFigure = (id: string): Figure | undefined => r.groups[0]?.figures.find((f) => f.id === id);
  const legend = cols
    .map((id, i) => {
      const f = colFigure(id);
      return `(${i + 1}) ${esc(f?.label[lang] ?? id)}${f?.unit ? ` (${esc(f.unit)})` : ''}`;
    })
    .join('; ');
  const groupRows = r.groups
    .map(
      (g, i) =>
        `<tr data-group="${esc(g.id)}"><td class="c">${i + 1}</td><td>${esc(g.name)}</td>${cols
          .map((id) => {
            const f = g.figures.find((x) => x.id === id);
            return `<td class="num">${f && f.value !== null ? esc(num(f.value, lang)) : '—'}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  const emergencies = !r.emergencies.available
    ? `<p>${w('unavailable')}</p>`
    : r.emergencies.items.length === 0
      ? `<p>${w('none')}</p>`
      : table(
          [w('no'), w('bulletin'), w('requested'), w('aired'), w('tta')],
          r.emergencies.items
            .map(
              (e, i) =>
                `<tr><td class="c">${i + 1}</td><td>${esc(e.title)}</td><td>${esc(when(e.requestedAt))}</td><td>${esc(e.firstAirAt ? when(e.firstAirAt) : '—')}</td><td class="num">${esc(fmt(e.timeToAirS, '', lang))}</td></tr>`,
            )
            .join(''),
        );
  // One method per distinct text: several systems share "availability", say it once with every figure it serves.
  const methods = new Map<string, string[]>();
  for (const f of r.figures) methods.set(f.method[lang], [...(methods.get(f.method[lang]) ?? []), f.label[lang]]);
  const methodItems = [...methods].map(([m, labels]) => `<li><b>${esc(labels.join('; '))}</b>: ${esc(m)}</li>`).join('');
  const title = `${WORDS.subject[lang]} ${periodWords}`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${w('report')} — ${esc(r.ward.name)} — ${esc(r.period.label[lang])}</title>
<style>${OFFICIAL_CSS}</style></head><body>
${officialHead({ ...header, date: officialDate(r.generatedAt, header.timeZone, lang), docType: 'BC', lang })}
<h1 class="doc-type">${w('report')}</h1>
<p class="doc-subject">${esc(title)}</p>
<div class="doc-rule"></div>
${r.complete ? '' : `<p class="warn">${w('provisional')} ${esc(when(r.asOf))}.</p>`}
<p class="para">${esc(intro)}</p>
<section><h2>${w('summary')}</h2>${figureTable(r, lang)}</section>
<section class="charts"><h3>${w('chartAvail')}</h3>${availabilityChart(r, lang)}
${r.charts.energyByMonth.length ? `<h3>${w('chartEnergy')}</h3>${energyChart(r, lang)}` : ''}</section>
<section><h2>${w('faults')}</h2>${faultTable(r, lang)}</section>
<section><h2>${w('groups')}</h2><p class="legend">${legend}. ${w('dash')}</p>${table([w('no'), w('group'), ...cols.map((_, i) => `(${i + 1})`)], groupRows, 'groups')}</section>
<section><h2>${w('emergencies')}</h2>${emergencies}</section>
<section><h2>${w('methods')}</h2><ol class="methods">${methodItems}</ol></section>
${officialClosing(header, lang)}
</body></html>`;
}

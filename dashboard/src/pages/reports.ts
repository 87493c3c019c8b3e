import { api } from '../api.ts';
import type { Figure } from '../contract.ts';
import { clear, fmtNum, fmtTime, h } from '../dom.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import type { Settings } from '../settings.ts';
import { fetchBlob, saveBlob } from '../ui/authed-media.ts';
import { errorText, toast } from '../ui/notice.ts';
import { currentHalfYear, reportFileName } from '../ui/report-period.ts';

addStrings(
  {
    'rep.period': 'Kỳ báo cáo',
    'rep.year': 'Năm',
    'rep.periodH1': 'Sáu tháng đầu năm (25/12 – 29/06)',
    'rep.periodH2': 'Sáu tháng cuối năm (30/06 – 24/12)',
    'rep.periodYear': 'Cả năm (01/01 – 31/12)',
    'rep.monthN': 'Tháng',
    'rep.wardIndicators': 'Chỉ tiêu toàn phường',
    'rep.byGroup': 'Theo tổ dân phố',
    'rep.indicator': 'Chỉ tiêu',
    'rep.value': 'Giá trị',
    'rep.note': 'Ghi chú',
    'rep.method': 'Cách tính',
    'rep.showMethods': 'Hiện cách tính',
    'rep.downloadPdf': 'Tải báo cáo PDF',
    'rep.downloadCsv': 'Tải số liệu CSV',
    'rep.preparing': 'Đang chuẩn bị tệp…',
    'rep.downloaded': 'Đã tải',
    'rep.provisional': 'Số liệu tạm tính: kỳ báo cáo chưa kết thúc, tính đến',
    'rep.complete': 'Kỳ báo cáo đã kết thúc',
    'rep.generatedAt': 'Lập lúc',
    'rep.noValue': 'không có số liệu',
    'rep.wardWide': 'Toàn phường',
    'rep.emergencies': 'Bản tin khẩn cấp',
    'rep.noGroups': 'Chưa khai báo tổ dân phố',
    'rep.asOf': 'Chốt số liệu đến hết ngày',
    'rep.cutoff': 'Số liệu tính đến hết ngày',
    'rep.target': 'Kế hoạch',
    'rep.assessment': 'Đánh giá',
    'rep.met': 'Đạt',
    'rep.notMet': 'Chưa đạt',
    'rep.yearTarget': 'chỉ tiêu năm',
    'rep.printView': 'Xem bản in',
    'rep.print': 'In báo cáo',
    'rep.closePrint': 'Đóng bản in',
  },
  {
    'rep.period': 'Reporting period',
    'rep.year': 'Year',
    'rep.periodH1': 'First half (25/12 – 29/06)',
    'rep.periodH2': 'Second half (30/06 – 24/12)',
    'rep.periodYear': 'Whole year (01/01 – 31/12)',
    'rep.monthN': 'Month',
    'rep.wardIndicators': 'Ward indicators',
    'rep.byGroup': 'By residential group',
    'rep.indicator': 'Indicator',
    'rep.value': 'Value',
    'rep.note': 'Note',
    'rep.method': 'Method',
    'rep.showMethods': 'Show methods',
    'rep.downloadPdf': 'Download PDF report',
    'rep.downloadCsv': 'Download CSV data',
    'rep.preparing': 'Preparing the file…',
    'rep.downloaded': 'Downloaded',
    'rep.provisional': 'Provisional: the period has not ended; data up to',
    'rep.complete': 'The period has ended',
    'rep.generatedAt': 'Generated',
    'rep.noValue': 'no data',
    'rep.wardWide': 'Whole ward',
    'rep.emergencies': 'Emergency bulletins',
    'rep.noGroups': 'No residential groups declared',
    'rep.asOf': 'Data up to the end of',
    'rep.cutoff': 'Data up to the end of',
    'rep.target': 'Target',
    'rep.assessment': 'Assessment',
    'rep.met': 'Met',
    'rep.notMet': 'Not met',
    'rep.yearTarget': 'year target',
    'rep.printView': 'Print view',
    'rep.print': 'Print the report',
    'rep.closePrint': 'Close the print view',
  },
);

interface Text {
  vi: string;
  en: string;
}
const CMP = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' } as const;
interface IndicatorReport {
  ward: { code: string; name: string };
  period: { code: string; type: 'month' | 'half' | 'year'; label: Text; firstDay: string; lastDay: string };
  generatedAt: string;
  asOf: string;
  cutoffDay: string;
  complete: boolean;
  figures: Figure[];
  groups: { id: string; name: string; figures: Figure[] }[];
}

export const txt = (x: Text | undefined): string => (x ? (getLang() === 'vi' ? x.vi : x.en) : '');

export function fmtFigure(f: Pick<Figure, 'value' | 'unit'>): string {
  if (f.value === null) return t('rep.noValue');
  return f.unit ? `${fmtNum(f.value, 2)} ${f.unit}` : fmtNum(f.value, 2);
}

function targetText(f: Figure, period: string): string {
  const tg = f.target;
  if (!tg) return '—';
  const v = `${CMP[tg.comparator]} ${fmtFigure({ value: tg.value, unit: f.unit })}`;
  return tg.period === period ? v : `${v} (${t('rep.yearTarget')} ${tg.period})`;
}

function figureTable(figures: Figure[], withMethods: boolean, period: string): HTMLTableElement {
  const bySystem = new Map<string, Figure[]>();
  for (const f of figures) {
    const k = f.system ?? '';
    bySystem.set(k, [...(bySystem.get(k) ?? []), f]);
  }
  const head: [string, string][] = [
    ['indicator', t('rep.indicator')],
    ['target', t('rep.target')],
    ['value', t('rep.value')],
    ['assessment', t('rep.assessment')],
    ['note', t('rep.note')],
    ...(withMethods ? [['method', t('rep.method')] as [string, string]] : []),
  ];
  const body = h('tbody');
  for (const [system, list] of bySystem) {
    // Figures of a system are labelled "<system name>: <figure>"; under the system's heading the prefix is said once.
    const prefix = (f: Figure): string => {
      const l = txt(f.label);
      const i = l.indexOf(': ');
      return i > 0 ? l.slice(0, i) : '';
    };
    const common = system && list.every((f) => prefix(f) === prefix(list[0]!)) ? prefix(list[0]!) : '';
    body.append(h('tr', { class: 'system' }, h('th', { colspan: head.length }, common || (system ? kindLabel(system) : t('rep.wardWide')))));
    for (const f of list) {
      body.append(
        h(
          'tr',
          { 'data-figure': f.id, title: txt(f.method) },
          h('td', {}, common ? txt(f.label).slice(common.length + 2) : txt(f.label)),
          h('td', { class: 'num muted', 'data-col': 'target' }, targetText(f, period)),
          h('td', { class: f.value === null ? 'num muted' : 'num' }, fmtFigure(f)),
          h(
            'td',
            { 'data-col': 'assessment', class: f.target?.met === false ? 'bad' : '' },
            f.target?.met === true ? t('rep.met') : f.target?.met === false ? t('rep.notMet') : '',
          ),
          h('td', { class: 'muted', 'data-col': 'note' }, txt(f.note)),
          withMethods && h('td', { class: 'muted small' }, txt(f.method)),
        ),
      );
    }
  }
  return h(
    'table',
    { class: 'grid figures' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map(([k, c]) => h('th', { 'data-col': k }, c)),
      ),
    ),
    body,
  );
}

/** Indicators of a reporting period (half-year by default), with the printable PDF and the CSV to download. */
export async function reportsPage(root: HTMLElement, params: string[], settings: Settings): Promise<() => void> {
  const tz = settings.ward.timezone || 'Asia/Ho_Chi_Minh';
  const current = currentHalfYear(tz);
  const asked = /^\d{4}(-(0[1-9]|1[0-2]|H[12]))?$/.test(params[0] ?? '') ? (params[0] as string) : current;
  const thisYear = Number(current.slice(0, 4));
  const years: number[] = [];
  for (let y = thisYear; y >= thisYear - 4; y--) years.push(y);
  if (!years.includes(Number(asked.slice(0, 4)))) years.push(Number(asked.slice(0, 4)));

  const fYear = h(
    'select',
    { id: 'r-year' },
    years.map((y) => h('option', { value: y, selected: String(y) === asked.slice(0, 4) }, String(y))),
  );
  const part = asked.slice(5);
  const fPart = h(
    'select',
    { id: 'r-part' },
    h('option', { value: 'H1', selected: part === 'H1' }, t('rep.periodH1')),
    h('option', { value: 'H2', selected: part === 'H2' }, t('rep.periodH2')),
    h('option', { value: '', selected: part === '' }, t('rep.periodYear')),
    Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0')).map((m) =>
      h('option', { value: m, selected: part === m }, `${t('rep.monthN')} ${Number(m)}`),
    ),
  );
  const methods = h('input', { type: 'checkbox', id: 'r-methods' });
  // The cut-off: a unit files its half-year report before 30/6 or 25/12 with data up to a day of its choosing.
  const fAsOf = h('input', { type: 'date', id: 'r-asof' });
  const printView = h('button', { id: 'print-view', type: 'button' }, t('rep.printView'));
  const printBox = h('section', { class: 'panel print-view', id: 'report-print', hidden: true });
  const pdf = h('button', { class: 'primary', id: 'dl-pdf', type: 'button' }, t('rep.downloadPdf'));
  const csv = h('button', { id: 'dl-csv', type: 'button' }, t('rep.downloadCsv'));
  const head = h('div', { id: 'report-head' });
  const wardBox = h('section', { class: 'panel', id: 'report-ward' }, h('p', {}, t('loading')));
  const groupsBox = h('section', { class: 'panel', id: 'report-groups' });
  root.append(
    h('h1', {}, t('reports')),
    h(
      'div',
      { class: 'filters' },
      h('label', {}, t('rep.year'), fYear),
      h('label', {}, t('rep.period'), fPart),
      h('label', {}, t('rep.asOf'), fAsOf),
      h('label', { class: 'inline' }, h('span', {}, methods, ` ${t('rep.showMethods')}`)),
      h('span', { class: 'spacer' }),
      printView,
      pdf,
      csv,
    ),
    head,
    printBox,
    wardBox,
    groupsBox,
  );

  let report: IndicatorReport | undefined;
  let seq = 0;
  const period = (): string => (fPart.value ? `${fYear.value}-${fPart.value}` : fYear.value);
  const query = (): string => `period=${encodeURIComponent(period())}${fAsOf.value ? `&asOf=${encodeURIComponent(fAsOf.value)}` : ''}${api.reportQuery()}`;

  const paint = (): void => {
    if (!report) return;
    const r = report;
    fAsOf.min = r.period.firstDay;
    fAsOf.max = r.period.lastDay;
    clear(head);
    head.append(
      h('h2', { id: 'report-period', 'data-period': r.period.code }, `${r.ward.name} · ${txt(r.period.label)}`),
      h(
        'p',
        { class: r.complete ? 'muted' : 'provisional' },
        r.complete ? t('rep.complete') : `${t('rep.provisional')} ${fmtTime(r.asOf, getLang())}`,
        ` · ${t('rep.cutoff')} ${r.cutoffDay.split('-').reverse().join('/')}`,
        ` · ${t('rep.generatedAt')} ${fmtTime(r.generatedAt, getLang())}`,
      ),
    );
    clear(wardBox);
    wardBox.append(h('h2', {}, t('rep.wardIndicators')), figureTable(r.figures, methods.checked, r.period.code));
    clear(groupsBox);
    groupsBox.append(h('h2', {}, t('rep.byGroup')));
    if (!r.groups.length) groupsBox.append(h('p', { class: 'muted' }, t('rep.noGroups')));
    for (const g of r.groups)
      groupsBox.append(h('details', { 'data-group': g.id }, h('summary', {}, `${g.name} (${g.id})`), figureTable(g.figures, methods.checked, r.period.code)));
  };

  const load = async (): Promise<void> => {
    const code = period();
    const mine = ++seq;
    if (location.hash !== `#/reports/${code}`) history.replaceState(null, '', `#/reports/${code}`);
    clear(wardBox);
    wardBox.append(h('p', {}, t('loading')));
    clear(groupsBox);
    closePrint();
    try {
      const r = await api.get<IndicatorReport>(`/api/v1/indicators?${query()}`);
      if (mine !== seq) return;
      report = r;
      paint();
    } catch (err) {
      if (mine !== seq) return;
      report = undefined;
      clear(head);
      clear(wardBox);
      wardBox.append(h('p', { class: 'error' }, errorText(err)));
    }
  };

  const download = async (btn: HTMLButtonElement, format: 'pdf' | 'csv'): Promise<void> => {
    const code = period();
    const lang = getLang();
    const label = btn.textContent;
    btn.disabled = true;
    btn.textContent = t('rep.preparing');
    try {
      const { blob } = await fetchBlob(`/api/v1/reports/indicators?${query()}&format=${format}&lang=${lang}`);
      const name = reportFileName(report?.ward ?? settings.ward, code, format, lang);
      saveBlob(blob, name);
      toast(`${t('rep.downloaded')}: ${name}`);
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      btn.disabled = false;
      btn.textContent = label;
    }
  };

  function closePrint(): void {
    clear(printBox);
    printBox.hidden = true;
  }

  /**
   * The report's own HTML (the document the PDF is made from) in a frame: it needs no Chromium on the server, and the
   * browser prints it with the report's print CSS (A4, margins, page numbers, repeated table headings).
   */
  const showPrintView = async (): Promise<void> => {
    printView.disabled = true;
    try {
      const { blob } = await fetchBlob(`/api/v1/reports/indicators?${query()}&format=html&lang=${getLang()}`);
      // No scripts in the frame; same origin only so the Print button can reach its window.
      const frame = h('iframe', { id: 'report-frame', title: t('rep.printView'), sandbox: 'allow-same-origin allow-modals' });
      frame.srcdoc = await blob.text();
      const print = h('button', { class: 'primary', id: 'print-report', type: 'button', onclick: () => frame.contentWindow?.print() }, t('rep.print'));
      const close = h('button', { id: 'print-close', type: 'button', onclick: closePrint }, t('rep.closePrint'));
      clear(printBox);
      printBox.append(h('div', { class: 'filters' }, h('span', { class: 'spacer' }), print, close), frame);
      printBox.hidden = false;
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      printView.disabled = false;
    }
  };

  fAsOf.addEventListener('change', () => void load());
  printView.addEventListener('click', () => void showPrintView());
  // Another period: the cut-off of the previous one would fall outside it.
  const periodChanged = (): void => {
    fAsOf.value = '';
    void load();
  };
  fYear.addEventListener('change', periodChanged);
  fPart.addEventListener('change', periodChanged);
  methods.addEventListener('change', paint);
  pdf.addEventListener('click', () => void download(pdf, 'pdf'));
  csv.addEventListener('click', () => void download(csv, 'csv'));
  await load();
  return () => {
    seq++;
  };
}

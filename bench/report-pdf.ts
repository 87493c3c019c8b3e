/**
 * The official half-year report (issue 14): time to build its HTML and to print it to PDF in Chromium, for a ward of
 * 30 residential groups and for 300 (a large urban ward's worth of rows), side by side in one run. Each PDF rendering
 * launches its own Chromium, as the service does.
 *
 *   npm run bench:report              # 3 runs per size, prints a Markdown table
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { emptyScopeFacts, scopeFigures, type ScopeFacts } from '../services/health/indicators/figures.ts';
import type { IndicatorReport } from '../services/health/indicators/indicators.service.ts';
import { PdfRenderer } from '../services/health/indicators/pdf-renderer.ts';
import { reportHtml } from '../services/health/indicators/report-render.ts';

const RUNS = 3;
const CHROMIUM = process.env.SW_REPORT_CHROMIUM_PATH ?? '/usr/bin/chromium';
const empty: ScopeFacts = emptyScopeFacts();

function report(groups: number): IndicatorReport {
  const withValues = (ward: boolean) => scopeFigures(empty, { ward }).map((f, i) => ({ ...f, value: f.value ?? (i * 7.31) % 100 }));
  return {
    ward: { code: '22330', name: 'Phường Phước Long' },
    period: {
      code: '2026-H1',
      type: 'half',
      label: { vi: 'Sáu tháng đầu năm 2026 (25/12/2025 – 29/06/2026)', en: 'First half of 2026' },
      from: '',
      to: '',
      firstDay: '2025-12-25',
      lastDay: '2026-06-29',
    },
    generatedAt: '2026-06-20T03:00:00Z',
    asOf: '2026-06-21T17:00:00Z',
    cutoffDay: '2026-06-20',
    complete: true,
    figures: withValues(true),
    groups: Array.from({ length: groups }, (_, i) => ({ id: `tdp-${i + 1}`, name: `Tổ dân phố ${i + 1}`, figures: withValues(false) })),
    emergencies: { available: true, items: [] },
    charts: {
      availability: [],
      energyByMonth: ['2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'].map((month, i) => ({
        month,
        usedKWh: 900 + 40 * i,
        savedKWh: 400 + 10 * i,
      })),
    },
  };
}

const header = {
  parentBody: 'Ủy ban nhân dân phường Phước Long',
  issuer: 'Phòng Kinh tế, Hạ tầng và Đô thị',
  issuerAbbr: 'KTHTĐT',
  place: 'Phường Phước Long',
  signerTitle: ['TRƯỞNG PHÒNG'],
  signerName: 'Nguyễn Văn A',
  recipients: ['Ban Chỉ đạo phường', 'Lưu: VT'],
  timeZone: 'Asia/Ho_Chi_Minh',
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const pdf = new PdfRenderer({ chromiumPath: CHROMIUM, timeoutMs: 120_000 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'sw-bench-report-'));
const rows: string[] = [];
try {
  for (const groups of [30, 300]) {
    const r = report(groups);
    const htmlMs: number[] = [];
    const pdfMs: number[] = [];
    let pages = 0;
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const html = reportHtml(r, 'vi', header);
      htmlMs.push(performance.now() - t);
      t = performance.now();
      const out = await pdf.render(html);
      pdfMs.push(performance.now() - t);
      bytes = out.length;
      const file = path.join(dir, `r-${groups}.pdf`);
      writeFileSync(file, out);
      pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file]).toString())?.[1] ?? 0);
    }
    rows.push(`| ${groups} | ${median(htmlMs).toFixed(1)} | ${median(pdfMs).toFixed(0)} | ${pages} | ${(bytes / 1024).toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  ['| residential groups | HTML ms (median) | PDF ms incl. Chromium start (median) | pages | PDF KiB |', '|---|---|---|---|---|', ...rows].join('\n'),
);
console.log(
  `\n${RUNS} runs per size. Machine: ${os.cpus().length} CPUs, Node ${process.version}; load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
);

/**
 * The frame of an administrative document after Decree 30/2020/NĐ-CP (Appendix I: format and layout of documents):
 * governing and issuing body top left with the number/symbol under them, the national name and motto top right with
 * the place and date under them, then the document type and subject centred; at the end "Nơi nhận" bottom left and
 * the signer bottom right. Page numbers sit at the top centre from page 2 on (Appendix I, item 5). Sizes in pt follow
 * the decree's ranges; the decree's Times New Roman is used where installed, else a serif with Vietnamese glyphs.
 */

export interface OfficialHeader {
  /** Tên cơ quan, tổ chức chủ quản (e.g. Ủy ban nhân dân phường Phước Long). */
  parentBody: string;
  /** Tên cơ quan, tổ chức ban hành văn bản. */
  issuer: string;
  /** Its abbreviation in the symbol "Số: …/BC-<abbr>". */
  issuerAbbr: string;
  /** Địa danh: "<place>, ngày … tháng … năm …". */
  place: string;
  /** Quyền hạn, chức vụ của người ký, one line each (e.g. ['KT. TRƯỞNG PHÒNG', 'PHÓ TRƯỞNG PHÒNG']). */
  signerTitle: string[];
  signerName: string;
  recipients: string[];
  timeZone: string;
  /** The registry's number for "Số:"; blank leaves the space to fill in by hand. */
  number?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const upper = (s: string): string => s.normalize('NFC').toLocaleUpperCase('vi');

/**
 * "ngày 05 tháng 02 năm 2026": the decree writes days below 10 and the months January and February with a leading
 * zero (Appendix I, item 4.b), so "ngày 03 tháng 12", "ngày 15 tháng 3".
 */
export function officialDate(iso: string, timeZone: string, lang: 'vi' | 'en'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date(iso));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const d = get('day');
  const m = get('month');
  const y = get('year');
  if (lang === 'en') return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `ngày ${String(d).padStart(2, '0')} tháng ${m < 3 ? String(m).padStart(2, '0') : String(m)} năm ${y}`;
}

export function officialHead(h: OfficialHeader & { date: string; docType: string; lang: 'vi' | 'en' }): string {
  const vi = h.lang === 'vi';
  const number = h.number ? esc(h.number) : '&nbsp;'.repeat(8);
  return `<table class="doc-head" role="presentation"><tr>
<td class="doc-org"><div class="parent">${esc(upper(h.parentBody))}</div><div class="issuer">${esc(upper(h.issuer))}</div><div class="rule short"></div>
<div class="doc-no">${vi ? 'Số' : 'No.'}: ${number}/${esc(h.docType)}-${esc(h.issuerAbbr)}</div></td>
<td class="doc-nation"><div class="nation">${vi ? 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM' : 'SOCIALIST REPUBLIC OF VIETNAM'}</div>
<div class="motto"><span>${vi ? 'Độc lập - Tự do - Hạnh phúc' : 'Independence - Freedom - Happiness'}</span></div>
<div class="doc-date">${esc(h.place)}, ${esc(h.date)}</div></td></tr></table>`;
}

export function officialClosing(h: OfficialHeader, lang: 'vi' | 'en'): string {
  const vi = lang === 'vi';
  const items = h.recipients.map((r, i) => `<li>- ${esc(r)}${i === h.recipients.length - 1 ? '.' : ';'}</li>`).join('');
  const title = h.signerTitle.map((l) => `<div>${esc(upper(l))}</div>`).join('');
  return `<table class="doc-close" role="presentation"><tr>
<td class="recipients"><div class="label">${vi ? 'Nơi nhận' : 'Recipients'}:</div><ul>${items}</ul></td>
<td class="signer"><div class="title">${title}</div><div class="sign-space">${vi ? '(Ký, ghi rõ họ tên, đóng dấu)' : '(Signature, full name, seal)'}</div>
<div class="name">${h.signerName ? esc(h.signerName) : '&nbsp;'}</div></td></tr></table>`;
}

export const OFFICIAL_CSS = `
  @page { size: A4; margin: 20mm 15mm 20mm 30mm;
    @top-center { content: counter(page); font-family: 'Times New Roman', 'Noto Serif', 'DejaVu Serif', serif; font-size: 13pt; } }
  @page :first { @top-center { content: none; } }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-family: 'Times New Roman', 'Noto Serif', 'DejaVu Serif', serif; font-size: 13pt; line-height: 1.3; color: #000; margin: 0; }
  @media screen { body { max-width: 165mm; margin: 12mm auto; padding: 20mm 15mm 20mm 30mm; background: #fff; box-shadow: 0 0 6px #999; } html { background: #e5e7eb; } }
  table.doc-head, table.doc-close { width: 100%; border-collapse: collapse; margin: 0; }
  table.doc-head td, table.doc-close td { border: 0; padding: 0; vertical-align: top; text-align: center; }
  td.doc-org { width: 40%; font-size: 12.5pt; } td.doc-nation { width: 60%; }
  .parent { text-transform: uppercase; } .issuer { font-weight: bold; text-transform: uppercase; }
  .nation { font-weight: bold; font-size: 12.5pt; } .motto { font-weight: bold; font-size: 13.5pt; }
  .motto span { display: inline-block; border-bottom: 1px solid #000; padding-bottom: 1px; }
  .rule.short { width: 35%; margin: 1px auto 6px; border-top: 1px solid #000; }
  .doc-no { margin-top: 4px; } .doc-date { font-style: italic; margin-top: 8px; white-space: nowrap; }
  h1.doc-type { text-align: center; font-size: 14pt; margin: 18pt 0 0; } .doc-subject { text-align: center; font-weight: bold; margin: 2pt 0 0; }
  .doc-rule { width: 25%; margin: 3pt auto 10pt; border-top: 1px solid #000; }
  p.para { text-align: justify; text-indent: 10mm; margin: 4pt 0; }
  h2 { font-size: 13pt; margin: 12pt 0 4pt; } h3 { font-size: 12pt; margin: 8pt 0 2pt; font-style: italic; }
  .warn { font-weight: bold; text-align: center; }
  table.figures, table.faults, table.groups, section table { border-collapse: collapse; width: 100%; margin: 4pt 0; font-size: 11pt; }
  section th, section td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }
  section th { font-weight: bold; text-align: center; }
  p.legend { font-size: 10pt; font-style: italic; margin: 2pt 0; } table.groups td:nth-child(2) { white-space: nowrap; }
  td.num { text-align: right; } td.c { text-align: center; } td.small { font-size: 10pt; } tr.sys td { background: #f2f2f2; }
  /* A table's heading is repeated on every page it runs onto; a row, a heading and the closing never split. */
  thead { display: table-header-group; } tfoot { display: table-footer-group; }
  tr, th, td, li, svg { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section table thead + tbody tr:first-child { break-before: avoid; }
  ol.methods { font-size: 11pt; padding-left: 6mm; } ol.methods li { margin-bottom: 2pt; text-align: justify; }
  table.doc-close { margin-top: 14pt; break-inside: avoid; page-break-inside: avoid; }
  td.recipients { width: 45%; text-align: left !important; font-size: 11pt; } td.recipients .label { font-weight: bold; font-style: italic; font-size: 12pt; }
  td.recipients ul { list-style: none; margin: 0; padding: 0; }
  td.signer .title { font-weight: bold; } td.signer .sign-space { font-style: italic; font-size: 11pt; height: 28mm; } td.signer .name { font-weight: bold; }
`;

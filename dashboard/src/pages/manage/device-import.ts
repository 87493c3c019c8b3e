/**
 * One CSV row → the body of POST /devices. Pure (no DOM, no API), so a unit test checks it. Headers are matched
 * without case or accents and in Vietnamese or English ("Tên"/"name", "Tổ dân phố"/"group"); a residential group may be
 * given by id or by name; coordinates take a decimal comma. A row's problem is said in the operator's words.
 */
import { parseCsv } from '../../ui/csv.ts';

export interface ImportRow {
  line: number;
  body?: Record<string, unknown>;
  error?: string;
}

const norm = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const COLUMNS: Record<string, string[]> = {
  id: ['id', 'ma', 'mathietbi', 'deviceid'],
  kind: ['kind', 'loai', 'loaithietbi', 'type'],
  name: ['name', 'ten', 'tenthietbi'],
  group: ['group', 'groupid', 'todanpho', 'to'],
  zones: ['zones', 'zoneids', 'khuvuc'],
  lat: ['lat', 'latitude', 'vido'],
  lon: ['lon', 'lng', 'longitude', 'kinhdo'],
  address: ['address', 'diachi'],
  installedAt: ['installedat', 'ngaylapdat', 'installed'],
  ratedPowerW: ['ratedpowerw', 'congsuat', 'congsuatdinhmuc', 'ratedpower'],
  tags: ['tags', 'nhan'],
};

export interface ImportContext {
  kinds: string[];
  /** Zones by id and by name (any case), for the group and zones columns. */
  zoneIdOf: (idOrName: string) => string | null;
  words: {
    missing: (col: string) => string;
    unknownKind: (k: string) => string;
    unknownZone: (z: string) => string;
    badNumber: (col: string) => string;
    badDate: string;
    noHeader: string;
  };
}

const num = (s: string): number | null => {
  const t = s.trim().replace(',', '.');
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : Number.NaN;
};

/** Day-first dates as offices write them (25/12/2025) or ISO (2025-12-25). */
function date(s: string): string | null | undefined {
  const t = s.trim();
  if (!t) return null;
  const dmy = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(t);
  const [y, m, d] = dmy ? [dmy[3], dmy[2], dmy[1]] : iso ? [iso[1], iso[2], iso[3]] : [];
  if (!y || !m || !d) return undefined;
  const at = new Date(`${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}T00:00:00+07:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function importRows(csv: string, ctx: ImportContext): ImportRow[] {
  const rows = parseCsv(csv);
  const header = rows[0]?.map(norm) ?? [];
  const col = (name: string): number => header.findIndex((h) => COLUMNS[name]!.includes(h));
  const at = Object.fromEntries(Object.keys(COLUMNS).map((k) => [k, col(k)])) as Record<keyof typeof COLUMNS, number>;
  if (at.kind! < 0 || at.name! < 0) return [{ line: 1, error: ctx.words.noHeader }];
  return rows.slice(1).map((r, i): ImportRow => {
    const line = i + 2;
    const get = (k: string): string => (at[k]! >= 0 ? (r[at[k]!] ?? '').trim() : '');
    const kind = get('kind');
    const name = get('name');
    if (!kind) return { line, error: ctx.words.missing('kind') };
    if (!ctx.kinds.includes(kind)) return { line, error: ctx.words.unknownKind(kind) };
    if (!name) return { line, error: ctx.words.missing('name') };
    const body: Record<string, unknown> = { kind, name };
    if (get('id')) body.id = get('id').toLowerCase();
    if (get('group')) {
      const z = ctx.zoneIdOf(get('group'));
      if (!z) return { line, error: ctx.words.unknownZone(get('group')) };
      body.groupId = z;
    }
    if (get('zones')) {
      const ids = get('zones')
        .split('|')
        .map((x) => x.trim())
        .filter(Boolean);
      const out: string[] = [];
      for (const x of ids) {
        const z = ctx.zoneIdOf(x);
        if (!z) return { line, error: ctx.words.unknownZone(x) };
        out.push(z);
      }
      body.zoneIds = out;
    }
    for (const k of ['lat', 'lon'] as const) {
      const n = num(get(k));
      if (Number.isNaN(n)) return { line, error: ctx.words.badNumber(k) };
      if (n !== null) body[k] = n;
    }
    if (get('address')) body.address = get('address');
    if (get('installedAt')) {
      const d = date(get('installedAt'));
      if (d === undefined) return { line, error: ctx.words.badDate };
      body.installedAt = d;
    }
    const rated = num(get('ratedPowerW'));
    if (Number.isNaN(rated)) return { line, error: ctx.words.badNumber('ratedPowerW') };
    if (rated !== null) body.asset = { ratedPowerW: rated };
    if (get('tags'))
      body.tags = get('tags')
        .split('|')
        .map((x) => x.trim())
        .filter(Boolean);
    return { line, body };
  });
}

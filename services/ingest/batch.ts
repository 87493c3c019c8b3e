import { createHash } from 'node:crypto';
import type { Decoded } from './decoder.ts';

/**
 * One unit of durable work: everything ingest writes in one transaction. Plain JSON (times as ISO strings) so the
 * same object is written to the database or, during an outage, to the disk spool and replayed later unchanged.
 */
export interface TelemetryRow {
  time: string;
  deviceId: string;
  data: Record<string, number>;
}
export interface StateRow {
  deviceId: string;
  state: Record<string, unknown>;
  stateAt: string | null;
  lastSeen: string;
}
export interface EventRow {
  time: string;
  deviceId: string;
  event: string;
  active: boolean | null;
  severity: string;
  data: Record<string, unknown>;
}
export interface StatusRow {
  time: string;
  deviceId: string;
  online: boolean;
  reason: string;
}
export interface DeadLetterRow {
  /** Idempotency key: a replayed (or twice-written) dead letter is stored once. Absent in spool files of older versions. */
  key?: string;
  receivedAt: string;
  deviceId: string | null;
  topic: string;
  reasonCode: string;
  reason: string;
  payload: string;
  payloadSize: number;
}

/** A device's answer to a command, kept in the batch so it is as durable as telemetry (spooled and replayed with it). */
export interface AckRow {
  deviceId: string;
  commandId: string;
  status: string;
  time: string;
  result: Record<string, unknown>;
  error: string | null;
}

export interface Batch {
  telemetry: TelemetryRow[];
  states: StateRow[];
  events: EventRow[];
  statuses: StatusRow[];
  deadLetters: DeadLetterRow[];
  /** Optional so writers of status-only batches (the health monitor) need not know about it. */
  acks?: AckRow[];
}

export const emptyBatch = (): Batch => ({ telemetry: [], states: [], events: [], statuses: [], deadLetters: [], acks: [] });

export const batchSize = (b: Batch): number =>
  b.telemetry.length + b.states.length + b.events.length + b.statuses.length + b.deadLetters.length + (b.acks?.length ?? 0);

/** The rows one decoded device message adds to a batch (`seen`: broker receipt, ISO). */
export function addDecoded(b: Batch, deviceId: string, v: Decoded, seen: string): void {
  const time = isoTime(v.time.getTime());
  switch (v.type) {
    case 'telemetry':
      if (Object.keys(v.numeric).length) b.telemetry.push({ time, deviceId, data: v.numeric });
      b.states.push({ deviceId, state: v.state, stateAt: time, lastSeen: seen });
      break;
    case 'event':
      b.events.push({ time, deviceId, event: v.event, active: v.active, severity: v.severity, data: v.data });
      b.states.push({ deviceId, state: {}, stateAt: null, lastSeen: seen });
      break;
    case 'status':
      b.statuses.push({ time, deviceId, online: v.online, reason: v.online ? 'birth' : 'last-will' });
      if (Object.keys(v.info).length) b.states.push({ deviceId, state: { status: v.info }, stateAt: time, lastSeen: seen });
      break;
    case 'ack':
      (b.acks ??= []).push({ deviceId, commandId: v.commandId, status: v.status, time: v.time.toISOString(), result: v.result, error: v.error });
      b.states.push({ deviceId, state: {}, stateAt: null, lastSeen: seen });
      break;
  }
}

/** A batch read back from a spool file, which an older version may have written without the newer row kinds. */
export function normalizeBatch(b: Partial<Batch>): Batch {
  return {
    telemetry: b.telemetry ?? [],
    states: b.states ?? [],
    events: b.events ?? [],
    statuses: b.statuses ?? [],
    deadLetters: b.deadLetters ?? [],
    acks: b.acks ?? [],
  };
}

/** Several batches as one write (spool replay), rows in order. */
export function mergeBatches(list: Batch[]): Batch {
  const out = emptyBatch();
  for (const b of list) for (const k of Object.keys(out) as (keyof Batch)[]) (out[k] as unknown[]).push(...(b[k] ?? []));
  return out;
}

const PAYLOAD_KEEP_BYTES = 4096;

/** Keeps a refused payload readable for operators: UTF-8 as is, anything else Base64; at most 4 KiB. */
export function payloadForStorage(payload: Buffer): string {
  const head = payload.subarray(0, PAYLOAD_KEEP_BYTES);
  const text = head.toString('utf8');
  // Round-trip check: invalid UTF-8 becomes U+FFFD and no longer encodes to the same bytes.
  if (Buffer.from(text, 'utf8').equals(head) && !text.includes('\u0000')) return text;
  return `base64:${head.toString('base64')}`;
}

/**
 * Folds several latest-state rows of one device into one, with the rule the database upsert applies between a stored
 * row and an incoming one: the newer reading wins key by key, a row without a reading time only moves `last_seen`.
 * Output is sorted by device id (the lock order of every ingest transaction).
 */
export function mergeStates(rows: StateRow[]): StateRow[] {
  const by = new Map<string, StateRow>();
  for (const r of rows) {
    const cur = by.get(r.deviceId);
    if (!cur) {
      // Kept as it is: a merge below builds a new row and a new state object, so no input is ever changed.
      by.set(r.deviceId, r);
      continue;
    }
    let state = cur.state;
    if (r.stateAt !== null) state = cur.stateAt === null || r.stateAt >= cur.stateAt ? { ...cur.state, ...r.state } : { ...r.state, ...cur.state };
    by.set(r.deviceId, {
      deviceId: r.deviceId,
      state,
      stateAt: maxIso(cur.stateAt, r.stateAt),
      lastSeen: maxIso(cur.lastSeen, r.lastSeen) ?? r.lastSeen,
    });
  }
  return [...by.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
}

/** Latest of two ISO-8601 UTC instants (as produced by Date.toISOString, so they compare as strings); null counts as absent. */
function maxIso<T extends string | null>(a: T, b: T): T {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

/** PostgreSQL text and jsonb cannot hold U+0000: it is written as the visible escape `\u0000` instead. */
export function cleanText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\\u0000') : s;
}

/** The value with every string cleaned; the very same object when nothing in it needed cleaning (no copy on the hot path). */
function cleanValue(v: unknown): unknown {
  if (typeof v === 'string') return cleanText(v);
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = cleanValue(v[i]);
      if (c !== v[i]) (out ??= v.slice())[i] = c;
    }
    return out ?? v;
  }
  if (v !== null && typeof v === 'object') {
    let out: Record<string, unknown> | undefined;
    const entries = Object.entries(v);
    for (const [k, x] of entries) {
      const ck = cleanText(k);
      const cx = cleanValue(x);
      if (ck !== k || cx !== x) {
        out ??= Object.fromEntries(entries.map(([k2, x2]) => [cleanText(k2), x2]));
        out[ck] = cx;
      }
    }
    return out ?? v;
  }
  return v;
}

/** A copy of the batch whose every string (keys included) can be stored; the same object when nothing needs it. */
export function sanitizeBatch(b: Batch): Batch {
  return cleanValue(b) as Batch;
}

type Item =
  | { k: 'telemetry'; r: TelemetryRow }
  | { k: 'states'; r: StateRow }
  | { k: 'events'; r: EventRow }
  | { k: 'statuses'; r: StatusRow }
  | { k: 'deadLetters'; r: DeadLetterRow }
  | { k: 'acks'; r: AckRow };

function items(b: Batch): Item[] {
  return [
    ...b.telemetry.map((r) => ({ k: 'telemetry', r }) as Item),
    ...b.states.map((r) => ({ k: 'states', r }) as Item),
    ...b.events.map((r) => ({ k: 'events', r }) as Item),
    ...b.statuses.map((r) => ({ k: 'statuses', r }) as Item),
    ...b.deadLetters.map((r) => ({ k: 'deadLetters', r }) as Item),
    ...(b.acks ?? []).map((r) => ({ k: 'acks', r }) as Item),
  ];
}

function fromItems(list: Item[]): Batch {
  const b = emptyBatch();
  for (const it of list) (b[it.k] as unknown[] | undefined)?.push(it.r);
  return b;
}

/** Two halves of a batch (rows keep their order), for finding the one row the database refuses. */
export function splitBatch(b: Batch): [Batch, Batch] {
  const all = items(b);
  const mid = Math.ceil(all.length / 2);
  return [fromItems(all.slice(0, mid)), fromItems(all.slice(mid))];
}

/** The dead letter that stands for a single valid-looking row the database still refused, so it is kept, not lost. */
export function refusedRowAsDeadLetter(b: Batch, reason: string, now = new Date()): DeadLetterRow {
  const [it] = items(b);
  const deviceId = it && 'deviceId' in it.r ? it.r.deviceId : null;
  const payload = JSON.stringify(it ? { [it.k]: it.r } : {});
  return {
    // The same refused row (replayed, or redelivered) yields the same key, so it is kept once.
    key: `refused:${createHash('sha256').update(payload).digest('hex').slice(0, 32)}`,
    receivedAt: now.toISOString(),
    deviceId: deviceId === null ? null : cleanText(deviceId),
    topic: '',
    reasonCode: 'storage-refused',
    reason: cleanText(`database refused the row: ${reason}`).slice(0, 1000),
    payload: cleanText(payload).slice(0, 4096),
    payloadSize: Buffer.byteLength(payload),
  };
}

let hourStart = Number.NaN;
let hourPrefix = '';

/**
 * Date.prototype.toISOString for an epoch-millisecond instant, ~10× cheaper on the ingest hot path (two per message):
 * the "YYYY-MM-DDTHH:" part is formatted once per hour, the rest by arithmetic. Outside years 1970–9999 it defers.
 */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < 253402300800000) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const rest = ms % 3_600_000;
  if (ms - rest !== hourStart) {
    hourStart = ms - rest;
    hourPrefix = new Date(hourStart).toISOString().slice(0, 14);
  }
  const min = Math.floor(rest / 60_000);
  const sec = Math.floor((rest % 60_000) / 1000);
  const milli = rest % 1000;
  return `${hourPrefix}${min < 10 ? '0' : ''}${min}:${sec < 10 ? '0' : ''}${sec}.${milli < 100 ? (milli < 10 ? '00' : '0') : ''}${milli}Z`;
}

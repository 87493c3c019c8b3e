import type { DeviceKind, MetricSpec } from '../../devices/index.ts';
import type { PublishChannel } from '../broker/topics.ts';
import { FREE_NUMBER_LIMIT, firstHugeNumber, sanitizeJson } from './sanitize.ts';
import { parseJsonBounded } from '../common/safe-json.ts';

/** Why ingest refused a message. Stored with the message in dead_letters and counted. */
export type RejectCode =
  | 'PAYLOAD_TOO_LARGE'
  | 'MALFORMED_JSON'
  | 'JSON_TOO_DEEP'
  | 'NOT_AN_OBJECT'
  | 'UNKNOWN_FIELD'
  | 'MISSING_FIELD'
  | 'WRONG_TYPE'
  | 'OUT_OF_RANGE'
  | 'BAD_TIMESTAMP'
  | 'UNKNOWN_EVENT'
  | 'UNKNOWN_KIND';

export type Decoded =
  | { type: 'telemetry'; time: Date; numeric: Record<string, number>; state: Record<string, unknown> }
  | { type: 'event'; time: Date; event: string; active: boolean | null; severity: string; data: Record<string, unknown> }
  | { type: 'status'; time: Date; online: boolean; info: Record<string, unknown> }
  | { type: 'ack'; time: Date; commandId: string; status: AckStatus; result: Record<string, unknown>; error: string | null };

export type AckStatus = 'ok' | 'error' | 'rejected' | 'in_progress';
const ACK_STATUSES: readonly string[] = ['ok', 'error', 'rejected', 'in_progress'];

/** `sanitized`: characters ingest removed or replaced (U+0000, lone surrogates; see sanitize.ts) before decoding. */
export type DecodeResult = { ok: true; value: Decoded; sanitized: number } | { ok: false; code: RejectCode; reason: string };

export interface DecodeLimits {
  maxPayloadBytes: number;
  /** Device clocks may run ahead this much before a timestamp is refused as being in the future. */
  maxFutureSkewMs: number;
  /** Timestamps older than this are refused (they would fall outside retention). */
  maxAgeMs: number;
  /** Most nested objects/arrays in a payload (default MQTT_JSON_MAX_DEPTH). */
  maxJsonDepth?: number;
}

/**
 * Every device payload is at most 3 levels deep by contract ({ data: { key: value } }); 8 leaves room for a nested
 * `result` or event `data` while keeping downstream recursion (jsonb, JSON.stringify) trivially safe.
 */
export const MQTT_JSON_MAX_DEPTH = 8;

/** A backslash: every JSON escape starts with one. */
const BACKSLASH = 0x5c;

const fail = (code: RejectCode, reason: string): DecodeResult => ({ ok: false, code, reason });

class Reject extends Error {
  readonly code: RejectCode;
  constructor(code: RejectCode, reason: string) {
    super(reason);
    this.code = code;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyFields(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new Reject('UNKNOWN_FIELD', `unknown field '${k}' in ${where} (allowed: ${allowed.join(', ')})`);
  }
}

function parseTime(raw: unknown, receivedAt: Date, limits: DecodeLimits): Date {
  if (raw === undefined) return receivedAt;
  let t: Date;
  if (typeof raw === 'number' && Number.isFinite(raw)) t = new Date(raw);
  else if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw)) t = new Date(raw);
  else throw new Reject('WRONG_TYPE', `'ts' must be epoch milliseconds or an ISO 8601 string`);
  if (Number.isNaN(t.getTime())) throw new Reject('BAD_TIMESTAMP', `'ts' is not a valid time`);
  const delta = t.getTime() - receivedAt.getTime();
  if (delta > limits.maxFutureSkewMs) throw new Reject('BAD_TIMESTAMP', `'ts' is ${Math.round(delta / 1000)} s in the future: device clock is wrong`);
  if (-delta > limits.maxAgeMs) throw new Reject('BAD_TIMESTAMP', `'ts' is older than the retention period`);
  return t;
}

/**
 * Checks one reading against its declaration and records it: in `state` as sent, in `numeric` as the number stored in
 * telemetry (booleans as 1/0; enums and strings are state only). Writes in place: no object per reading.
 */
function checkMetric(name: string, spec: MetricSpec, v: unknown, numeric: Record<string, number>, state: Record<string, unknown>): void {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Reject('WRONG_TYPE', `'${name}' must be a number`);
      if (spec.type === 'integer' && !Number.isInteger(v)) throw new Reject('WRONG_TYPE', `'${name}' must be an integer`);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
        throw new Reject('OUT_OF_RANGE', `'${name}' = ${v} is outside ${spec.min ?? '-∞'}..${spec.max ?? '∞'} ${spec.unit}`.trim());
      }
      numeric[name] = v;
      break;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new Reject('WRONG_TYPE', `'${name}' must be true or false`);
      numeric[name] = v ? 1 : 0;
      break;
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) throw new Reject('OUT_OF_RANGE', `'${name}' must be one of ${spec.values.join(', ')}`);
      break;
    case 'string':
      if (typeof v !== 'string') throw new Reject('WRONG_TYPE', `'${name}' must be a string`);
      if (v.length > spec.maxLength) throw new Reject('OUT_OF_RANGE', `'${name}' is longer than ${spec.maxLength} characters`);
      break;
  }
  state[name] = v;
}

/** Free-form parts (event data, status info, ack results) declare no range: only magnitudes a double holds exactly. */
function boundFree(v: unknown, where: string): void {
  const huge = firstHugeNumber(v);
  if (huge) throw new Reject('OUT_OF_RANGE', `'${where}${huge.path ? `.${huge.path}` : ''}' = ${huge.value} is beyond ±${FREE_NUMBER_LIMIT}`);
}

function decodeTelemetry(kind: DeviceKind, body: Record<string, unknown>, time: Date): Decoded {
  onlyFields(body, ['ts', 'seq', 'metrics'], 'telemetry');
  const metrics = body.metrics;
  if (metrics === undefined) throw new Reject('MISSING_FIELD', `telemetry needs 'metrics'`);
  if (!isObject(metrics)) throw new Reject('WRONG_TYPE', `'metrics' must be an object`);
  const names = Object.keys(metrics);
  if (names.length === 0) throw new Reject('MISSING_FIELD', `'metrics' is empty`);
  const numeric: Record<string, number> = {};
  const state: Record<string, unknown> = {};
  for (const name of names) {
    // Own properties only: a metric named `constructor` or `__proto__` must not find Object.prototype's members.
    const spec = Object.hasOwn(kind.telemetry, name) ? kind.telemetry[name] : undefined;
    if (!spec) throw new Reject('UNKNOWN_FIELD', `'${name}' is not a ${kind.name} metric`);
    checkMetric(name, spec, metrics[name], numeric, state);
  }
  return { type: 'telemetry', time, numeric, state };
}

function decodeEvent(kind: DeviceKind, body: Record<string, unknown>, time: Date): Decoded {
  onlyFields(body, ['ts', 'event', 'active', 'data'], 'event');
  if (typeof body.event !== 'string') throw new Reject('MISSING_FIELD', `event needs 'event' (a name)`);
  const spec = Object.hasOwn(kind.events, body.event) ? kind.events[body.event] : undefined;
  if (!spec) throw new Reject('UNKNOWN_EVENT', `'${body.event}' is not a ${kind.name} event`);
  if (spec.fault && typeof body.active !== 'boolean') throw new Reject('MISSING_FIELD', `fault '${body.event}' needs 'active' true or false`);
  if (body.active !== undefined && typeof body.active !== 'boolean') throw new Reject('WRONG_TYPE', `'active' must be true or false`);
  if (body.data !== undefined && !isObject(body.data)) throw new Reject('WRONG_TYPE', `'data' must be an object`);
  boundFree(body.data, 'data');
  const active = typeof body.active === 'boolean' ? body.active : null;
  return { type: 'event', time, event: body.event, active, severity: spec.severity, data: (body.data as Record<string, unknown>) ?? {} };
}

function decodeStatus(body: Record<string, unknown>, time: Date): Decoded {
  onlyFields(body, ['ts', 'online', 'firmware', 'ip', 'uptimeS'], 'status');
  if (typeof body.online !== 'boolean') throw new Reject('MISSING_FIELD', `status needs 'online' true or false`);
  const { online, ts: _ts, ...info } = body;
  boundFree(info, 'status');
  return { type: 'status', time, online, info };
}

function decodeAck(body: Record<string, unknown>, time: Date): Decoded {
  onlyFields(body, ['ts', 'id', 'status', 'result', 'error'], 'ack');
  if (typeof body.id !== 'string' || body.id.length === 0 || body.id.length > 64) throw new Reject('MISSING_FIELD', `ack needs 'id' (the command id)`);
  if (typeof body.status !== 'string' || !ACK_STATUSES.includes(body.status))
    throw new Reject('WRONG_TYPE', `'status' must be one of ${ACK_STATUSES.join(', ')}`);
  if (body.result !== undefined && !isObject(body.result)) throw new Reject('WRONG_TYPE', `'result' must be an object`);
  if (body.error !== undefined && typeof body.error !== 'string') throw new Reject('WRONG_TYPE', `'error' must be a string`);
  boundFree(body.result, 'result');
  return {
    type: 'ack',
    time,
    commandId: body.id,
    status: body.status as AckStatus,
    result: (body.result as Record<string, unknown>) ?? {},
    error: (body.error as string | undefined) ?? null,
  };
}

/** Validates one device message against its kind's declaration. Pure: no I/O, no clock (receivedAt is given). */
export function decodeMessage(kind: DeviceKind | undefined, channel: PublishChannel, payload: Buffer, receivedAt: Date, limits: DecodeLimits): DecodeResult {
  if (payload.length > limits.maxPayloadBytes) return fail('PAYLOAD_TOO_LARGE', `payload is ${payload.length} bytes; the limit is ${limits.maxPayloadBytes}`);
  if (!kind) return fail('UNKNOWN_KIND', 'the device has no known kind');
  // Depth is checked by an iterative scan before parsing: a deeply nested payload must never reach recursive code.
  const parsed = parseJsonBounded(payload, { maxBytes: limits.maxPayloadBytes, maxDepth: limits.maxJsonDepth ?? MQTT_JSON_MAX_DEPTH });
  if (!parsed.ok) {
    if (parsed.code === 'TOO_DEEP') return fail('JSON_TOO_DEEP', `payload ${parsed.reason}`);
    return fail('MALFORMED_JSON', `payload is ${parsed.reason}`);
  }
  // Once, here, before any consumer (batch writer, alarms, state, webhooks) sees the message. JSON text yields U+0000 or
  // a lone surrogate only through a `\u` escape (raw control characters are not JSON; bytes that are not UTF-8, encoded
  // surrogates included, decode to U+FFFD), so a payload without a backslash is clean as parsed and skips the walk.
  let body = parsed.value;
  let sanitized = 0;
  if (payload.indexOf(BACKSLASH) !== -1) ({ value: body, fixes: sanitized } = sanitizeJson(body));
  if (!isObject(body)) return fail('NOT_AN_OBJECT', 'payload must be a JSON object');
  try {
    const time = parseTime(body.ts, receivedAt, limits);
    switch (channel) {
      case 'telemetry':
        return { ok: true, value: decodeTelemetry(kind, body, time), sanitized };
      case 'event':
        return { ok: true, value: decodeEvent(kind, body, time), sanitized };
      case 'status':
        return { ok: true, value: decodeStatus(body, time), sanitized };
      case 'ack':
        return { ok: true, value: decodeAck(body, time), sanitized };
    }
  } catch (err) {
    if (err instanceof Reject) return fail(err.code, err.message);
    throw err;
  }
}

/**
 * Personal data in device messages (Decree 13/2023/NĐ-CP): client MAC addresses and phone numbers from WiFi sessions
 * and captive-portal logins. Declared fields of a valid event are replaced by keyed hashes before anything is stored;
 * a refused message (dead letter) is scrubbed of them before it is kept, whatever shape it has.
 */
import { createHmac } from 'node:crypto';
import { DEVICE_KINDS } from '../../devices/index.ts';
import type { DeviceKind } from '../../devices/types.ts';

/** Prefix of a stored keyed hash: version 1 = HMAC-SHA256 with the service key over the normalized value, hex. */
export const HASH_PREFIX = 'h1:';
export const REDACTED = '[redacted]';

/** Field names treated as personal in any refused payload, beyond those the kinds declare (RADIUS and portal names). */
const ALWAYS_PERSONAL = ['mac', 'clientMac', 'callingStationId', 'phone', 'msisdn', 'phoneNumber', 'email', 'username'];

const personalNames = (): Set<string> => {
  const s = new Set(ALWAYS_PERSONAL.map((n) => n.toLowerCase()));
  for (const k of DEVICE_KINDS) for (const e of Object.values(k.events)) for (const f of e.personal ?? []) s.add(f.toLowerCase());
  return s;
};
const PERSONAL = personalNames();

/**
 * One canonical form per person, so the same MAC or phone written differently hashes the same:
 * a MAC → 12 lowercase hex digits; a Vietnamese phone → 84 + the subscriber number (0912…, +84912…, 84912… agree).
 */
export function normalizePersonal(value: string): string {
  const v = value.trim();
  const hex = v.replace(/[:.-]/g, '').toLowerCase();
  if (/^[0-9a-f]{12}$/.test(hex) && /[:.-]/.test(v)) return `mac:${hex}`;
  const digits = v.replace(/[\s().-]/g, '');
  if (/^\+?\d{8,15}$/.test(digits)) {
    const d = digits.replace(/^\+/, '');
    return `tel:${d.startsWith('0') ? `84${d.slice(1)}` : d}`;
  }
  return `raw:${v.toLowerCase()}`;
}

export const keyedHash = (key: Buffer, value: string): string => `${HASH_PREFIX}${createHmac('sha256', key).update(normalizePersonal(value)).digest('hex')}`;

/**
 * The event's data with each declared personal field hashed (strings) or removed (anything else, which cannot be a
 * valid identifier). Without a key the fields are redacted: never stored in clear.
 */
export function protectEventData(kind: DeviceKind | undefined, event: string, data: Record<string, unknown>, key: Buffer | null): Record<string, unknown> {
  const fields = kind && Object.hasOwn(kind.events, event) ? kind.events[event]?.personal : undefined;
  if (!fields?.length) return data;
  const out: Record<string, unknown> = { ...data };
  for (const f of fields) {
    if (!Object.hasOwn(out, f)) continue;
    const v = out[f];
    if (typeof v === 'string' && v.length > 0 && key) out[f] = keyedHash(key, v);
    else if (typeof v === 'string' && v.length > 0) out[f] = REDACTED;
    else delete out[f];
  }
  return out;
}

// A MAC in any common notation, and a phone number as a run of 9–12 digits, optionally +84/84/0-prefixed with spaces
// or dots between groups: scrubbed from any text that could not be parsed field by field.
const MAC_RE = /\b[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}\b|\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b/g;
const PHONE_RE = /(?<![\w.])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?![\w])/g;

export function scrubText(text: string): string {
  return text.replace(MAC_RE, REDACTED).replace(PHONE_RE, REDACTED);
}

function redactValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactValue);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = PERSONAL.has(k.toLowerCase()) && x !== null && x !== '' ? REDACTED : redactValue(x);
    return o;
  }
  return typeof v === 'string' ? scrubText(v) : v;
}

/**
 * A refused payload as it may be kept for operators: known personal fields replaced at any depth, and MAC- or
 * phone-shaped text scrubbed everywhere (it may be malformed JSON, or a field we do not know by name).
 * Base64 payloads (non-text) are decoded, scrubbed and kept as text only if they were text after all; else dropped.
 */
export function redactPayload(stored: string): string {
  if (stored.startsWith('base64:')) {
    const raw = Buffer.from(stored.slice(7), 'base64');
    const text = raw.toString('latin1');
    return new RegExp(MAC_RE.source).test(text) || new RegExp(PHONE_RE.source).test(text)
      ? `${REDACTED} (binary payload with personal data, ${raw.length} bytes)`
      : stored;
  }
  try {
    return JSON.stringify(redactValue(JSON.parse(stored)));
  } catch {
    return scrubText(stored);
  }
}

/** The reason text may quote the payload (a decoder message): scrubbed the same way. */
export const redactReason = scrubText;

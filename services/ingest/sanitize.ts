/**
 * Text that JSON can carry but PostgreSQL's jsonb/text cannot store: U+0000 ("unsupported Unicode escape sequence")
 * and UTF-16 surrogates without their pair ("invalid input syntax for type json"). A device that sends either in an
 * event's data used to make every later consumer fail on it (the alarm store logged "alarm decision failed" and the
 * alarm was lost). Ingest cleans the parsed message once, before any consumer sees it: U+0000 is removed, a lone
 * surrogate becomes U+FFFD (the replacement character), in values and in keys alike.
 */

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NUL = /\u0000/g;

export interface Sanitized<T> {
  value: T;
  /** Characters removed or replaced (0 = the input was clean and `value` is the input itself). */
  fixes: number;
}

export function sanitizeText(s: string): Sanitized<string> {
  let fixes = 0;
  const out = s
    .replace(NUL, () => {
      fixes++;
      return '';
    })
    .replace(LONE_SURROGATE, () => {
      fixes++;
      return '\uFFFD';
    });
  return { value: fixes ? out : s, fixes };
}

/** Cleans every string and key of a JSON value (as JSON.parse returns it); clean input comes back unchanged. */
export function sanitizeJson(v: unknown): Sanitized<unknown> {
  if (typeof v === 'string') return sanitizeText(v);
  if (Array.isArray(v)) {
    let fixes = 0;
    const out = v.map((x) => {
      const r = sanitizeJson(x);
      fixes += r.fixes;
      return r.value;
    });
    return { value: fixes ? out : v, fixes };
  }
  if (typeof v === 'object' && v !== null) {
    let fixes = 0;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const key = sanitizeText(k);
      const val = sanitizeJson(x);
      fixes += key.fixes + val.fixes;
      // Two keys that differ only by a stripped U+0000 collapse into one: the later wins, as JSON.parse does.
      Object.defineProperty(out, key.value, { value: val.value, enumerable: true, writable: true, configurable: true });
    }
    return { value: fixes ? out : v, fixes };
  }
  return { value: v, fixes: 0 };
}

/**
 * The largest magnitude accepted for a number the kind does not declare (event data, status info, ack results):
 * beyond 1e15 a double no longer holds every integer (2^53 ≈ 9e15), and nothing a ward device reports is that big.
 * Declared telemetry has its own range in devices/<kind>.
 */
export const FREE_NUMBER_LIMIT = 1e15;

/** The path of the first number outside ±FREE_NUMBER_LIMIT, or null. */
export function firstHugeNumber(v: unknown, path = ''): { path: string; value: number } | null {
  if (typeof v === 'number') return Math.abs(v) > FREE_NUMBER_LIMIT ? { path, value: v } : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = firstHugeNumber(v[i], `${path}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const r = firstHugeNumber(x, path ? `${path}.${k}` : k);
      if (r) return r;
    }
  }
  return null;
}

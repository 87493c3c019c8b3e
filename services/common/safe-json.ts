/**
 * JSON from untrusted senders (devices over MQTT, HTTP bodies) with limits checked *before* anything recursive runs.
 *
 * Why: V8's JSON.parse copes with deep nesting, but everything after it does not — JSON.stringify, the pg parameter
 * encoder, PostgreSQL's jsonb input ("stack depth limit exceeded") and our own walkers recurse once per level. A 14 KB
 * payload nested 7,000 levels deep overflowed the stack downstream, its batch was re-queued forever and every command
 * acknowledgement of the ward stalled behind it. The depth scan below is one iterative pass over the text, so a hostile
 * payload costs O(bytes) and is refused with a reason, never parsed.
 */

export interface JsonLimits {
  /** Most nested objects/arrays (the top-level value counts as 1). */
  maxDepth: number;
  /** Largest input in bytes (UTF-8). */
  maxBytes: number;
  /** Most object keys plus array elements over the whole document (0 = no limit). */
  maxNodes?: number;
}

export type JsonRefusal = 'TOO_LARGE' | 'TOO_DEEP' | 'TOO_MANY_NODES' | 'MALFORMED';

export type BoundedJson = { ok: true; value: unknown } | { ok: false; code: JsonRefusal; reason: string };

const OPEN_OBJ = 0x7b; // {
const OPEN_ARR = 0x5b; // [
const CLOSE_OBJ = 0x7d; // }
const CLOSE_ARR = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const COMMA = 0x2c; // ,
const OPENINGS = [OPEN_OBJ, OPEN_ARR] as const;

/**
 * Scans the bytes for nesting depth and element count, skipping string contents (escapes included). Brackets inside
 * strings do not count; unbalanced input is left for JSON.parse to describe.
 */
function scan(buf: Uint8Array, limits: JsonLimits): BoundedJson | null {
  let depth = 0;
  let nodes = 0;
  let inString = false;
  const maxNodes = limits.maxNodes ?? 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJ || c === OPEN_ARR) {
      depth++;
      nodes++;
      if (depth > limits.maxDepth) return { ok: false, code: 'TOO_DEEP', reason: `JSON nested deeper than ${limits.maxDepth} levels` };
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) depth--;
    else if (c === COMMA) nodes++;
    if (maxNodes > 0 && nodes > maxNodes) return { ok: false, code: 'TOO_MANY_NODES', reason: `JSON has more than ${maxNodes} elements` };
  }
  return null;
}

/**
 * True when `buf` holds at most `max` opening brackets, wherever they are (inside strings too): then no nesting can go
 * deeper than `max`, and the byte-by-byte scan has nothing to find. Native searches, a few per small device payload.
 */
function fewOpenings(buf: Buffer, max: number): boolean {
  let n = 0;
  for (const c of OPENINGS) {
    for (let i = buf.indexOf(c); i !== -1; i = buf.indexOf(c, i + 1)) if (++n > max) return false;
  }
  return true;
}

/** Parses `input` (bytes or text) if it is within `limits`; otherwise says which limit it broke. Never throws. */
export function parseJsonBounded(input: Uint8Array | string, limits: JsonLimits): BoundedJson {
  const buf =
    typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length > limits.maxBytes) return { ok: false, code: 'TOO_LARGE', reason: `JSON is ${buf.length} bytes; the limit is ${limits.maxBytes}` };
  // The full scan is needed for an element limit, or when there are enough brackets to nest too deep.
  const refused = (limits.maxNodes ?? 0) === 0 && fewOpenings(buf, limits.maxDepth) ? null : scan(buf, limits);
  if (refused) return refused;
  try {
    const text = typeof input === 'string' ? input : buf.toString('utf8');
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, code: 'MALFORMED', reason: `not JSON: ${(err as Error).message}` };
  }
}

/**
 * The API's own JSON body parser. Fastify's default parser accepts any nesting depth, NUL characters and integers no
 * column can hold; each of those used to reach a service or PostgreSQL and come back as a 500. Here a body is refused
 * with a 400 and a reason before any route sees it:
 * - nesting deeper than `maxDepth` (checked on the raw text, before JSON.parse builds anything),
 * - more than `maxKeys` object keys and array items in total,
 * - U+0000 in any string or key (PostgreSQL text cannot store it),
 * - numbers beyond ±2^53 (not exact in JavaScript; beyond bigint they break the database),
 * - `__proto__` and `constructor.prototype` keys (prototype pollution),
 * - a top level that is not an object or an array (`null`, `"x"`, `0`: no route takes one).
 * Each refusal is counted in sw_http_rejected_total{reason} and logged with the reason, never with the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../common/errors.ts';
import type { Metrics } from '../common/metrics.ts';

export interface BodyLimits {
  maxDepth: number;
  maxKeys: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxDepth: 16, maxKeys: 20_000 };

export type BodyRejection =
  'too_deep' | 'too_many_keys' | 'nul_character' | 'number_out_of_range' | 'forbidden_key' | 'not_object' | 'malformed_json' | 'empty';

export class BodyRefused extends AppError {
  readonly reason: BodyRejection;
  constructor(reason: BodyRejection, message: string) {
    super('BAD_BODY', 400, message, { reason });
    this.reason = reason;
  }
}

/** Deepest `{`/`[` nesting of a JSON text, ignoring brackets inside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Parses a JSON body under the limits; throws BodyRefused with the reason. */
export function parseBody(text: string, limits: BodyLimits = DEFAULT_BODY_LIMITS): unknown {
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) throw new BodyRefused('too_deep', `The JSON body nests deeper than ${limits.maxDepth} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyRefused('malformed_json', `The body is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  if (value === null || typeof value !== 'object')
    throw new BodyRefused('not_object', 'The JSON body must be an object (or an array), not null, a string, a number or a boolean');
  // Iterative walk: the depth is already bounded, but a wide body must not cost a deep stack either.
  const stack: unknown[] = [value];
  let keys = 0;
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw new BodyRefused('nul_character', 'A text value contains the NUL character (U+0000), which cannot be stored');
    } else if (typeof v === 'number') {
      if (Math.abs(v) > Number.MAX_SAFE_INTEGER)
        throw new BodyRefused('number_out_of_range', `A number is beyond ±${Number.MAX_SAFE_INTEGER} and cannot be used exactly`);
    } else if (Array.isArray(v)) {
      keys += v.length;
      stack.push(...v);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        keys++;
        if (k.includes('\u0000')) throw new BodyRefused('nul_character', 'A field name contains the NUL character (U+0000)');
        if (k === '__proto__' || (k === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child)) {
          throw new BodyRefused('forbidden_key', `The field name '${k}' is not allowed`);
        }
        stack.push(child);
      }
      // JSON.parse makes __proto__ an own property, which Object.entries lists; this catches any it did not.
      if (Object.getPrototypeOf(v) !== Object.prototype) throw new BodyRefused('forbidden_key', 'The body tries to change an object prototype');
    }
    if (keys > limits.maxKeys) throw new BodyRefused('too_many_keys', `The JSON body has more than ${limits.maxKeys} fields and items`);
  }
  return value;
}

const HELP = 'HTTP requests refused before any route ran, by reason';

/** Replaces Fastify's JSON parser with parseBody. An empty body declared as JSON is refused, as Fastify's own parser does. */
export function installJsonBodyParser(app: FastifyInstance, metrics: Metrics, limits: BodyLimits = DEFAULT_BODY_LIMITS): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    try {
      if (text.trim() === '')
        throw new BodyRefused('empty', 'The body is declared as JSON (content-type: application/json) but is empty; send {} or leave the content type out');
      done(null, parseBody(text, limits));
    } catch (err) {
      const reason = err instanceof BodyRefused ? err.reason : 'malformed_json';
      metrics.inc('sw_http_rejected_total', HELP, { reason });
      req.log.warn({ reason, route: req.routeOptions.url, bytes: text.length }, 'request body refused');
      done(err as Error, undefined);
    }
  });
}

/**
 * NUL in the path or the query (`%00`) is refused for every route at once: no identifier or filter may contain it, and
 * PostgreSQL would answer a query with one with an error. Counted like a refused body.
 */
export function refuseNulInUrl(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRequest', async (req) => {
    if (/%00|\u0000/i.test(req.url)) {
      metrics.inc('sw_http_rejected_total', HELP, { reason: 'nul_character' });
      req.log.warn({ reason: 'nul_character', route: req.routeOptions.url }, 'request refused');
      throw new AppError('BAD_URL', 400, 'The address contains the NUL character (%00), which no identifier or filter may hold');
    }
  });
}

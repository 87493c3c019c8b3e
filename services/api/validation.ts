/**
 * Request validation: one Ajv per part. Query strings and path parameters are text on the wire, so they are coerced to
 * the schema's types (`?limit=10`); JSON bodies carry their own types and are not coerced — with coercion
 * `"username": false` became the user "false" and `"disabled": "yes"` a boolean. Both use Fastify's own compiler
 * (@fastify/ajv-compiler, with ajv-formats), reached through Fastify's dependencies so no new package is needed.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
type CompilerFactory = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> } & Record<string, unknown>,
) => (route: { httpPart?: string }) => unknown;

const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const AjvCompiler = requireFromFastify('@fastify/ajv-compiler') as () => CompilerFactory;

export function bodyStrictValidators(): ValidatorFactory {
  const coercing = AjvCompiler();
  const strict = AjvCompiler();
  const factory: CompilerFactory = (externalSchemas, options) => {
    const forText = coercing(externalSchemas, options);
    const forBody = strict(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? forBody(route) : finiteOnly(forText(route) as AjvValidate));
  };
  return factory as unknown as ValidatorFactory;
}

type AjvValidate = ((data: unknown, ctx?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };

/**
 * Ajv coerces `?days=1e400` to Infinity and then lets it through `maximum: 31` (every comparison with it passes
 * through the coercion path), and a loop over Infinity days never ends: a non-finite number in a query or path is
 * refused.
 */
function finiteOnly(v: AjvValidate): AjvValidate {
  const wrapped: AjvValidate = (data, ctx) => {
    const ok = v(data, ctx);
    wrapped.errors = v.errors;
    if (!ok) return false;
    const bad =
      data !== null && typeof data === 'object'
        ? Object.entries(data).find(([, x]) => [x].flat().some((y) => typeof y === 'number' && !Number.isFinite(y)))
        : undefined;
    if (bad) {
      wrapped.errors = [{ instancePath: `/${bad[0]}`, schemaPath: '#', keyword: 'finite', params: {}, message: 'must be a finite number' }];
      return false;
    }
    return true;
  };
  if (v.schemaEnv) wrapped.schemaEnv = v.schemaEnv;
  return wrapped;
}

/**
 * PostgreSQL's class 22 ("data exception": a number out of range, text it cannot encode, a malformed date or
 * number) can only come from a value the caller sent that validation let through, e.g. `?offset=1e20` into a bigint.
 * It is the caller's error (400 with a reason), not the service's (500).
 */
export function mapInputError(err: unknown): { reason: string; message: string } | null {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return null;
  if (code === '22003') return { reason: 'db_out_of_range', message: 'A number in the request is out of range' };
  if (code === '22021' || code === '22P05')
    return { reason: 'db_bad_text', message: 'A text value in the request cannot be stored (NUL or an invalid character)' };
  if (code === '22007' || code === '22008') return { reason: 'db_bad_time', message: 'A date or time in the request is invalid or out of range' };
  return { reason: 'db_bad_value', message: 'A value in the request is malformed or out of range' };
}

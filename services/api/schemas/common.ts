/**
 * Building blocks of the API's response schemas (issue 16). Every route declares its answers with these TypeBox
 * schemas: Fastify serializes through them (fast-json-stringify drops what a schema does not list), @fastify/swagger
 * publishes them, and the dashboard derives its types from them with `Static<>` (type-only imports). So this folder
 * imports nothing but typebox: no Node module, nothing the browser bundle could not take.
 */
import { Type, type TSchema } from 'typebox';

/** `{ vi, en }`: a label or message in both languages. */
export const Text = Type.Object({ vi: Type.String(), en: Type.String() });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** One of the given strings (`anyOf` of constants), typed as their union. */
export const OneOf = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

/** A free-form JSON object (device state, asset details, command parameters): every key kept as it is. */
export const Bag = Type.Record(Type.String(), Type.Unknown());

export const Iso = Type.String({ format: 'date-time' });
/**
 * A time the handler holds as a `Date`: on the wire an ISO string like `Iso` (fast-json-stringify writes a Date in a
 * date-time string as `toISOString()`), typed `string | Date` on the server side of the contract.
 */
export const IsoDate = Type.Unsafe<string | Date>(Type.String({ format: 'date-time' }));

/** Every error: `{ error: { code, message, details? } }` (services/api/app.ts, the error handler). */
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }, { additionalProperties: true }) },
  { additionalProperties: true, description: 'Error' },
);

/**
 * A 204 answer: no body, so no schema, only a description (a `Type.Null()` would make the type provider demand
 * `reply.send(null)`).
 */
export const NoContent: { description: string } = { description: 'No content' };

/** How OpenAPI describes an answer by media type; typed loosely so the type provider does not type the payload. */
type ByMediaType = { description: string; content: Record<string, { schema: unknown }> };

/** `{ items: T[] }`, and with `total` for paged lists. */
export const Items = <T extends TSchema>(t: T) => Type.Object({ items: Type.Array(t) });
export const Paged = <T extends TSchema>(t: T) => Type.Object({ items: Type.Array(t), total: Type.Number() });

/**
 * A body that is not JSON (an image, a CSV, a PDF, an event stream) or JSON the handler sends already encoded:
 * described by its media type. Fastify does not serialize strings, buffers or streams, and the type provider does not
 * type such an answer, so the handler keeps sending what it sends.
 */
export const json = (schema: TSchema, description: string): ByMediaType => ({ description, content: { 'application/json': { schema } } });

export const binary = (mediaTypes: string[], description: string): ByMediaType => ({
  description,
  content: Object.fromEntries(mediaTypes.map((m) => [m, { schema: m.startsWith('text/') ? Type.String() : Type.String({ format: 'binary' }) }])),
});

/** A route's answers: the given successes plus the error body for every 4xx and 5xx. */
export const replies = <T extends Record<number, unknown>>(ok: T) => ({ ...ok, '4xx': ErrorBody, '5xx': ErrorBody });

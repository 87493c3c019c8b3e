import { Type } from 'typebox';
import { Id } from '../../api/routes/schemas.ts';

export const CommandId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'command id; a client-chosen id makes the request idempotent',
});

/** A command's addressees (docs/control.md § Targets). */
export const TargetSchema = Type.Union([
  Type.Object({ type: Type.Literal('device'), id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('devices'), ids: Type.Array(Id, { minItems: 1, maxItems: 50_000, uniqueItems: true }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('zone'), id: Id }, { additionalProperties: false, description: 'a zone or residential group, with its sub-zones' }),
  Type.Object({ type: Type.Literal('kind'), kind: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('tag'), tag: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('ward'), code: Type.String({ pattern: '^\\d{5}$' }) }, { additionalProperties: false }),
]);

export const CommandBody = Type.Object(
  {
    id: Type.Optional(CommandId),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    target: TargetSchema,
    kind: Type.Optional(Type.String({ maxLength: 64, description: 'only devices of this kind within the target' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'undelivered parts give up then (default: in one hour)' })),
    ttlS: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  },
  { additionalProperties: false },
);

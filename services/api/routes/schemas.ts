import { Type } from 'typebox';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});

export const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
export const IdParams = Type.Object({ id: Id });
export const Role = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);
export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
};
export const IsoTime = Type.String({ format: 'date-time' });

import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TargetsService } from './targets.service.ts';
import { Items, NoContent, replies } from '../../api/schemas/common.ts';
import { PlanTarget } from '../../api/schemas/indicators.ts';

const PeriodCode = Type.String({ pattern: '^\\d{4}(-(0[1-9]|1[0-2]|H[12]))?$', description: 'YYYY, YYYY-H1, YYYY-H2 or YYYY-MM' });
const Params = Type.Object({
  indicator: Type.String({ pattern: '^[A-Za-z0-9.-]{3,80}$', description: 'A figure id of the indicator report, e.g. wifi-ap.groupsServedPeriod' }),
  period: PeriodCode,
});
const WardQuery = Type.Object(
  { ward: Type.Optional(Type.String({ pattern: '^\\d{5}$', description: "The ward (mã ĐVHC); default: the configured ward, or the caller's only ward" })) },
  { additionalProperties: false },
);
const Body = Type.Object(
  {
    comparator: Type.Union([Type.Literal('>='), Type.Literal('>'), Type.Literal('<='), Type.Literal('<')]),
    target: Type.Number(),
    source: Type.String({ minLength: 3, maxLength: 500, description: 'Where the target comes from: document, item (Vietnamese, as the report prints it)' }),
    basis: Type.Optional(
      Type.Union([Type.Literal('plan'), Type.Literal('proposal')], {
        description: "plan: the number is the plan's; proposal: the plan sets the task without a number (default plan)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Plan targets per indicator and period: anyone may read them, an administrator sets them (audited). */
export const targetRoutes =
  (targets: TargetsService): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/plan-targets',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['indicators'],
          querystring: Type.Object({ period: Type.Optional(PeriodCode), ward: WardQuery.properties.ward }, { additionalProperties: false }),
          response: replies({ 200: Items(PlanTarget) }),
        },
      },
      async (req) => ({
        items: await targets.list(req.query.period, req.query.ward),
      }),
    );
    app.get(
      '/plan-targets/indicators',
      { config: { role: 'viewer' }, schema: { tags: ['indicators'], response: replies({ 200: Items(Type.String()) }) } },
      async () => ({ items: targets.indicators() }),
    );
    app.put(
      '/plan-targets/:indicator/:period',
      {
        config: { role: 'admin', action: 'plan-target.set' },
        schema: { tags: ['indicators'], params: Params, querystring: WardQuery, body: Body, response: replies({ 200: PlanTarget }) },
      },
      async (req) => {
        const t = await targets.set(
          req.params.indicator,
          req.params.period,
          { comparator: req.body.comparator, target: req.body.target, source: req.body.source, basis: req.body.basis ?? 'plan' },
          req.principal?.actor ?? 'unknown',
          req.query.ward,
        );
        req.auditTarget = { type: 'plan-target', id: `${t.indicator}@${t.period}`, details: { comparator: t.comparator, target: t.target, basis: t.basis } };
        return t;
      },
    );
    app.delete(
      '/plan-targets/:indicator/:period',
      {
        config: { role: 'admin', action: 'plan-target.delete' },
        schema: { tags: ['indicators'], params: Params, querystring: WardQuery, response: replies({ 204: NoContent }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'plan-target', id: `${req.params.indicator}@${req.params.period}` };
        await targets.remove(req.params.indicator, req.params.period, req.query.ward);
        return reply.status(204).send();
      },
    );
  };

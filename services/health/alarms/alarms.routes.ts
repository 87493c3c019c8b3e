import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../common/errors.ts';
import type { HealthRouteDeps } from '../health-route-deps.ts';
import { validateOverride } from './alarm-rules.ts';
import { Items, NoContent, replies } from '../../api/schemas/common.ts';
import { Alarm, AlarmList, AlarmRule, AlarmRules, AlarmWithDeliveries, FlappingRule, NewWebhook, Webhook, WebhookDelivery } from '../../api/schemas/health.ts';

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const AlarmId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const RuleParams = Type.Object({ kind: Type.String({ maxLength: 64 }), rule: Type.String({ maxLength: 64 }) });

export const alarmRoutes =
  (m: HealthRouteDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/alarms',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['alarms'],
          querystring: Type.Object(
            {
              state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('active'), Type.Literal('acknowledged'), Type.Literal('cleared')])),
              severity: Type.Optional(Severity),
              device: Type.Optional(Type.String({ maxLength: 64 })),
              kind: Type.Optional(Type.String({ maxLength: 64 })),
              rule: Type.Optional(Type.String({ maxLength: 64 })),
              group: Type.Optional(Type.String({ maxLength: 64 })),
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              offset: Type.Optional(Type.Integer({ minimum: 0 })),
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: AlarmList }),
        },
      },
      async (req) => {
        const q = req.query;
        return m.alarmRepo.list({
          state: q.state,
          severity: q.severity,
          deviceId: q.device,
          kind: q.kind,
          rule: q.rule,
          groupId: q.group,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          limit: q.limit ?? 100,
          offset: q.offset ?? 0,
        });
      },
    );

    app.get(
      '/alarms/:id',
      { config: { role: 'viewer' }, schema: { tags: ['alarms'], params: AlarmId, response: replies({ 200: AlarmWithDeliveries }) } },
      async (req) => {
        const a = await m.alarmRepo.get(req.params.id);
        if (!a) throw notFound('Alarm', String(req.params.id));
        return { ...a, deliveries: await m.webhookAdmin.deliveries({ alarmId: a.id, limit: 50 }) };
      },
    );

    app.post(
      '/alarms/:id/ack',
      {
        config: { role: 'operator', action: 'alarm.acknowledge' },
        schema: {
          tags: ['alarms'],
          params: AlarmId,
          body: Type.Optional(Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
          response: replies({ 200: Alarm }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'alarm', id: String(req.params.id) };
        return m.alarms.acknowledge(req.params.id, req.principal?.actor ?? 'unknown', req.body?.note ?? null);
      },
    );

    app.post(
      '/alarms/:id/clear',
      {
        config: { role: 'operator', action: 'alarm.clear' },
        schema: {
          tags: ['alarms'],
          params: AlarmId,
          body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
          response: replies({ 200: Alarm }),
        },
      },
      async (req) => {
        req.auditTarget = { type: 'alarm', id: String(req.params.id) };
        return m.alarms.clear(req.params.id, req.principal?.actor ?? 'unknown', req.body?.reason ?? null);
      },
    );

    app.get('/alarm-rules', { config: { role: 'viewer' }, schema: { tags: ['alarms'], response: replies({ 200: AlarmRules }) } }, async () => {
      const r = m.effectiveRules;
      return { items: r.rules, flapping: r.flapping };
    });

    app.put(
      '/alarm-rules/:kind/:rule',
      {
        config: { role: 'admin', action: 'alarm-rule.update' },
        schema: {
          tags: ['alarms'],
          params: RuleParams,
          body: Type.Object(
            {
              enabled: Type.Optional(Type.Boolean()),
              severity: Type.Optional(Severity),
              params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Number())),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: replies({ 200: Type.Union([AlarmRule, FlappingRule]) }),
        },
      },
      async (req) => {
        const { kind, rule } = req.params;
        const params = req.body.params ?? {};
        validateOverride(kind, rule, params);
        req.auditTarget = { type: 'alarm-rule', id: `${kind}/${rule}`, details: { ...req.body } };
        await m.alarmRepo.putOverride(
          { kind, rule, enabled: req.body.enabled ?? null, severity: req.body.severity ?? null, params },
          req.principal?.actor ?? 'unknown',
        );
        await m.reloadRules();
        const r = m.effectiveRules;
        return r.rules.find((x) => x.kind === kind && x.rule === rule) ?? r.flapping;
      },
    );

    app.delete(
      '/alarm-rules/:kind/:rule',
      { config: { role: 'admin', action: 'alarm-rule.reset' }, schema: { tags: ['alarms'], params: RuleParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'alarm-rule', id: `${req.params.kind}/${req.params.rule}` };
        if (!(await m.alarmRepo.deleteOverride(req.params.kind, req.params.rule)))
          throw notFound('Alarm rule override', `${req.params.kind}/${req.params.rule}`);
        await m.reloadRules();
        return reply.status(204).send();
      },
    );

    app.get('/alarm-webhooks', { config: { role: 'admin' }, schema: { tags: ['alarms'], response: replies({ 200: Items(Webhook) }) } }, async () => ({
      items: await m.webhookAdmin.list(),
    }));

    app.post(
      '/alarm-webhooks',
      {
        config: { role: 'admin', action: 'alarm-webhook.create' },
        schema: {
          tags: ['alarms'],
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100 }),
              url: Type.String({ maxLength: 2048 }),
              minSeverity: Type.Optional(Severity),
              secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'HMAC secret; generated when absent' })),
            },
            { additionalProperties: false },
          ),
          response: replies({ 201: NewWebhook }),
        },
      },
      async (req, reply) => {
        const { webhook: w, secret } = await m.webhookAdmin.create(
          { name: req.body.name, url: req.body.url, minSeverity: req.body.minSeverity, secret: req.body.secret },
          req.principal?.actor ?? 'unknown',
        );
        req.auditTarget = { type: 'alarm-webhook', id: w.id, details: { url: w.url, minSeverity: w.minSeverity } };
        return reply.status(201).send({ ...w, secret, note: 'The secret is shown only now; it is stored encrypted. Check X-SW-Signature with it.' });
      },
    );

    app.delete(
      '/alarm-webhooks/:id',
      {
        config: { role: 'admin', action: 'alarm-webhook.delete' },
        schema: { tags: ['alarms'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: replies({ 204: NoContent }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'alarm-webhook', id: req.params.id };
        await m.webhookAdmin.delete(req.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/alarm-webhooks/:id/deliveries',
      {
        config: { role: 'admin' },
        schema: { tags: ['alarms'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: replies({ 200: Items(WebhookDelivery) }) },
      },
      async (req) => ({ items: await m.webhookAdmin.deliveries({ webhookId: req.params.id, limit: 200 }) }),
    );
  };

import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { getKind } from '../../devices/index.ts';
import { requireWard } from '../auth/ward-scope.ts';
import { badRequest, notFound } from '../common/errors.ts';
import type { HealthRouteDeps } from './health-route-deps.ts';
import { withAvailability } from './uptime/uptime.service.ts';
import { addTotals, zeroTotals, type UptimeTotals } from './uptime/uptime-math.ts';
import type { Scope, ScopeType, UptimeDevice } from './uptime/uptime.repository.ts';
import { Items, NoContent, replies } from '../api/schemas/common.ts';
import { DeviceHealthList, HealthRule, HealthSummary, MaintenanceWindow, NewMaintenanceWindow, Uptime } from '../api/schemas/health.ts';

const KindParams = Type.Object({ kind: Type.String({ maxLength: 64 }) });
const ScopeTypeSchema = Type.Union([Type.Literal('ward'), Type.Literal('kind'), Type.Literal('zone'), Type.Literal('device')]);
const Positive = Type.Number({ exclusiveMinimum: 0, maximum: 7 * 86400 });
const MAX_WINDOW_MS = 3 * 366 * 86400_000;

/** Checks that a scope names something that exists (a typo must not answer "0 devices, no data"). */
async function checkScope(m: HealthRouteDeps, scope: Scope): Promise<void> {
  if (scope.type === 'kind' && !getKind(scope.id)) throw notFound('Device kind', scope.id);
  if (scope.type === 'ward' && !/^\d{5}$/.test(scope.id)) throw badRequest('BAD_SCOPE', 'A ward scope needs a 5-digit ward code (mã ĐVHC)');
  if (scope.type === 'ward') requireWard(scope.id);
  if (scope.type === 'device' || scope.type === 'zone') {
    const found = (await m.uptime.devicesInScope(scope)).length > 0 || (scope.type === 'zone' && (await m.zoneExists(scope.id)));
    if (!found) throw notFound(scope.type === 'device' ? 'Device' : 'Zone', scope.id);
  }
}

function parseWindow(from: string | undefined, to: string | undefined, now: number, defaultDays: number): { from: number; to: number } {
  const t = to ? Date.parse(to) : now;
  const f = from ? Date.parse(from) : t - defaultDays * 86400_000;
  if (!(f < t)) throw badRequest('BAD_WINDOW', "'from' must be before 'to'");
  if (t - f > MAX_WINDOW_MS) throw badRequest('BAD_WINDOW', 'A window may span at most three years');
  return { from: f, to: t };
}

export const healthRoutes =
  (m: HealthRouteDeps): FastifyPluginAsync =>
  async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/health/rules', { config: { role: 'viewer' }, schema: { tags: ['health'], response: replies({ 200: Items(HealthRule) }) } }, async () => ({
      items: m.status.rules,
    }));

    app.put(
      '/health/rules/:kind',
      {
        config: { role: 'admin', action: 'health.rules.update' },
        schema: {
          tags: ['health'],
          params: KindParams,
          body: Type.Object(
            {
              reportIntervalS: Type.Optional(Positive),
              maxReportIntervalS: Type.Optional(Positive),
              missedReportsOffline: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: replies({ 200: HealthRule }),
        },
      },
      async (req) => {
        const { kind } = req.params;
        if (!getKind(kind)) throw notFound('Device kind', kind);
        req.auditTarget = { type: 'device-kind', id: kind, details: { ...req.body } };
        await m.statusRepo.putKindOverride(
          {
            kind,
            reportIntervalS: req.body.reportIntervalS ?? null,
            maxReportIntervalS: req.body.maxReportIntervalS ?? null,
            missedReportsOffline: req.body.missedReportsOffline ?? null,
          },
          req.principal?.actor ?? 'unknown',
        );
        await m.status.reloadRules();
        return m.status.rules.find((r) => r.kind === kind);
      },
    );

    app.delete(
      '/health/rules/:kind',
      { config: { role: 'admin', action: 'health.rules.reset' }, schema: { tags: ['health'], params: KindParams, response: replies({ 204: NoContent }) } },
      async (req, reply) => {
        req.auditTarget = { type: 'device-kind', id: req.params.kind };
        if (!(await m.statusRepo.deleteKindOverride(req.params.kind))) throw notFound('Health rule override', req.params.kind);
        await m.status.reloadRules();
        return reply.status(204).send();
      },
    );

    app.get('/health/summary', { config: { role: 'viewer' }, schema: { tags: ['health'], response: replies({ 200: HealthSummary }) } }, async () => ({
      kinds: await m.statusRepo.countsByKind(),
      flapping: m.status.flapping(),
      openAlarms: await m.alarmRepo.counts(),
      uptimeRolledUpUntil: await m.uptime.rolledUpUntil(),
    }));

    app.get(
      '/health/devices',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['health'],
          description:
            'Devices that are not simply online or offline now: fault (an open fault, metric or deviation alarm) or maintenance (a planned window covers it). Others are ok, offline or unknown by their status.',
          response: replies({ 200: DeviceHealthList }),
        },
      },
      async () => m.deviceHealth.items(),
    );

    app.get(
      '/uptime',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['health'],
          querystring: Type.Object(
            {
              scope: Type.Optional(ScopeTypeSchema),
              id: Type.Optional(Type.String({ maxLength: 64 })),
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
              devices: Type.Optional(Type.Boolean({ description: 'include one line per device' })),
              source: Type.Optional(
                Type.Union([Type.Literal('rollup'), Type.Literal('raw')], { description: 'raw: recompute from status events (slow; for checks)' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: replies({ 200: Uptime }),
        },
      },
      async (req) => {
        const q = req.query;
        const type: ScopeType = q.scope ?? 'ward';
        const scope: Scope = { type, id: q.id ?? (type === 'ward' ? m.wardCode : '') };
        if (!scope.id) throw badRequest('BAD_SCOPE', `scope '${type}' needs an id`);
        await checkScope(m, scope);
        const window = parseWindow(q.from, q.to, m.clockNow(), 30);
        const devices = await m.uptime.devicesInScope(scope);
        const per = await m.uptime.perDevice(devices, window, { rollups: q.source !== 'raw' });
        return shapeUptime(scope, window, devices, per, q.devices ?? false);
      },
    );

    app.get(
      '/maintenance-windows',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['health'],
          querystring: Type.Object(
            { from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) },
            { additionalProperties: false },
          ),
          response: replies({ 200: Items(MaintenanceWindow) }),
        },
      },
      async (req) => {
        const w = parseWindow(req.query.from, req.query.to ?? new Date(m.clockNow() + 366 * 86400_000).toISOString(), m.clockNow(), 366 + 90);
        const items = await m.maintenance.list(w.from, w.to);
        return {
          items: items.map((x) => ({
            id: x.id,
            title: x.title,
            scope: { type: x.scopeType, id: x.scopeId },
            from: new Date(x.from).toISOString(),
            to: new Date(x.to).toISOString(),
            createdBy: x.createdBy,
            createdAt: x.createdAt,
          })),
        };
      },
    );

    app.post(
      '/maintenance-windows',
      {
        config: { role: 'operator', action: 'maintenance-window.create' },
        schema: {
          tags: ['health'],
          body: Type.Object(
            {
              title: Type.String({ minLength: 1, maxLength: 200 }),
              scope: Type.Object({ type: ScopeTypeSchema, id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time' }),
            },
            { additionalProperties: false },
          ),
          response: replies({ 201: NewMaintenanceWindow }),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const w = parseWindow(b.from, b.to, m.clockNow(), 0);
        await checkScope(m, b.scope);
        const id = await m.maintenance.create({ title: b.title, scope: b.scope, from: w.from, to: w.to, createdBy: req.principal?.actor ?? 'unknown' });
        req.auditTarget = { type: 'maintenance-window', id, details: { scope: b.scope, from: b.from, to: b.to } };
        return reply.status(201).send({ id, title: b.title, scope: b.scope, from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() });
      },
    );

    app.delete(
      '/maintenance-windows/:id',
      {
        config: { role: 'operator', action: 'maintenance-window.delete' },
        schema: { tags: ['health'], params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: replies({ 204: NoContent }) },
      },
      async (req, reply) => {
        req.auditTarget = { type: 'maintenance-window', id: req.params.id };
        if (!(await m.maintenance.delete(req.params.id))) throw notFound('Maintenance window', req.params.id);
        return reply.status(204).send();
      },
    );
  };

export function shapeUptime(
  scope: Scope,
  window: { from: number; to: number },
  devices: UptimeDevice[],
  per: Map<string, UptimeTotals>,
  withDevices: boolean,
): Static<typeof Uptime> {
  let total = zeroTotals();
  const byKind = new Map<string, UptimeTotals>();
  for (const d of devices) {
    const t = per.get(d.id) ?? zeroTotals();
    total = addTotals(total, t);
    byKind.set(d.kind, addTotals(byKind.get(d.kind) ?? zeroTotals(), t));
  }
  return {
    scope,
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    devices: devices.length,
    total: withAvailability(total),
    byKind: Object.fromEntries([...byKind].map(([k, t]) => [k, withAvailability(t)])),
    ...(withDevices
      ? { items: devices.map((d) => ({ deviceId: d.id, kind: d.kind, groupId: d.groupId, ...withAvailability(per.get(d.id) ?? zeroTotals()) })) }
      : {}),
  };
}

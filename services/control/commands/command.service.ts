/**
 * Commands: validate a request against the target devices' kind declarations, store it with one delivery per device,
 * send at once to devices connected here and queue the rest (docs/control.md § Command lifecycle).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Value } from 'typebox/value';
import { getKind } from '../../../devices/index.ts';
import type { CommandSpec } from '../../../devices/index.ts';
import type { AuditRepository } from '../../audit/audit.repository.ts';
import { AppError, badRequest, conflict, notFound } from '../../common/errors.ts';
import { noteWard, scopedWards } from '../../auth/ward-scope.ts';
import type { CommandRepository, CommandRow, NewDelivery, Outgoing, TargetDevice } from './command.repository.ts';
import { overallState, STATE_LABELS, type CommandView, type DeliveryState, type DeliveryView, type Origin, type SendRequest } from './command.types.ts';
import type { Dispatcher } from './dispatcher.ts';

export interface CommandLimits {
  /** Default lifetime of undelivered parts (s). */
  ttlS: number;
  maxTtlS: number;
  maxAttempts: number;
  /** Most devices one command may address (a province-wide kind target is refused, not queued by the 100 000). */
  maxDevices: number;
}

export const DEFAULT_LIMITS: CommandLimits = { ttlS: 3600, maxTtlS: 7 * 86_400, maxAttempts: 3, maxDevices: 50_000 };

export interface SendResult {
  command: CommandView;
  /** False when an earlier request with the same id (and the same content) is returned. */
  created: boolean;
  /** Devices in the target whose kind does not take this command. */
  skipped: number;
}

export type LiveRoute = (
  x: { params: Record<string, unknown>; clusterIds: string[] },
  origin: Origin,
) => Promise<{ broadcastId: string; commandIds: string[] }>;

const newId = (): string => `cmd-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;

function requestHash(r: SendRequest): string {
  const canon = {
    name: r.name,
    params: r.params,
    target: r.target,
    kind: r.kind ?? null,
    expiresAt: r.expiresAt ?? null,
    ttlS: r.ttlS ?? null,
    maxAttempts: r.maxAttempts ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex');
}

function paramErrors(spec: CommandSpec, params: Record<string, unknown>): { path: string; message: string }[] {
  if (Value.Check(spec.params, params)) return [];
  // TypeBox reports a stray property twice; the 'boolean' entry ("schema is false") is the less readable one.
  return Value.Errors(spec.params, params)
    .filter((e) => e.keyword !== 'boolean')
    .slice(0, 10)
    .map((e) => ({ path: e.instancePath || '/', message: e.message }));
}

/** An override-like command must end by itself: its end time is required (unless exempt), in the future, and near. */
export function checkExpiryRule(name: string, spec: CommandSpec, params: Record<string, unknown>, now: number): AppError | null {
  const rule = spec.expiry;
  if (!rule) return null;
  const exempt = rule.unless !== undefined && rule.unless.values.includes(String(params[rule.unless.param]));
  const v = params[rule.param];
  const maxH = Math.round((rule.maxS / 3600) * 10) / 10;
  if (v === undefined) {
    if (exempt) return null;
    return badRequest(
      'EXPIRY_REQUIRED',
      `'${name}' as an override needs params.${rule.param} (at most ${maxH} h ahead), so a forgotten override cannot stay on`,
    );
  }
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) return badRequest('INVALID_PARAMS', `params.${rule.param} is not a date-time`);
  if (t <= now) return badRequest('EXPIRY_PAST', `params.${rule.param} ${String(v)} is not in the future`);
  if (t > now + rule.maxS * 1000) return badRequest('EXPIRY_TOO_FAR', `params.${rule.param} may be at most ${maxH} h ahead`);
  return null;
}

export class CommandService {
  private readonly repo: CommandRepository;
  private readonly dispatcher: Dispatcher;
  private readonly audit: AuditRepository;
  private readonly limits: CommandLimits;
  private readonly clock: () => number;

  constructor(o: { repo: CommandRepository; dispatcher: Dispatcher; audit: AuditRepository; limits?: Partial<CommandLimits>; clock?: () => number }) {
    this.repo = o.repo;
    this.dispatcher = o.dispatcher;
    this.audit = o.audit;
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.clock = o.clock ?? Date.now;
  }

  /** The devices a target names, refusing unknown zones, devices and kinds (nothing is stored on a refusal). */
  async resolve(req: Pick<SendRequest, 'target' | 'kind'>): Promise<TargetDevice[]> {
    const t = req.target;
    if (req.kind !== undefined && !getKind(req.kind)) throw badRequest('UNKNOWN_KIND', `kind '${req.kind}' does not exist`);
    if (t.type === 'kind' && !getKind(t.kind)) throw badRequest('UNKNOWN_KIND', `kind '${t.kind}' does not exist`);
    // A caller limited to some wards gets one answer for another ward's device or zone and for one that does not exist
    // (403), so the refusal says nothing about the other ward.
    const outside = (what: string): AppError => new AppError('WARD_FORBIDDEN', 403, `${what} is not in your ward(s) ${(scopedWards() ?? []).join(', ')}`);
    if (t.type === 'zone' && !(await this.repo.zoneExists(t.id)))
      throw scopedWards() ? outside(`zone '${t.id}'`) : badRequest('UNKNOWN_ZONE', `zone '${t.id}' does not exist`);
    const devices = await this.repo.resolveTarget(t, req.kind ?? null);
    if (scopedWards() && (t.type === 'device' || t.type === 'devices') && devices.length < new Set(t.type === 'device' ? [t.id] : t.ids).size) {
      throw outside(t.type === 'device' ? `device '${t.id}'` : 'one of the devices');
    }
    if (t.type === 'device' && devices.length === 0)
      throw badRequest('UNKNOWN_DEVICE', `device '${t.id}' does not exist${req.kind ? ` or is not a ${req.kind}` : ''}`);
    if (t.type === 'devices') {
      const found = new Set(devices.map((d) => d.id));
      const missing = t.ids.filter((id) => !found.has(id));
      if (missing.length)
        throw badRequest('UNKNOWN_DEVICE', `device(s) ${missing.slice(0, 20).join(', ')} do not exist${req.kind ? ` or are not ${req.kind}` : ''}`);
    }
    // The audit row of the request names the ward(s) the command reaches.
    for (const w of new Set(devices.map((d) => d.wardCode))) if (w) noteWard(w);
    if (devices.length > this.limits.maxDevices)
      throw badRequest('TOO_MANY_DEVICES', `the target holds ${devices.length} devices; one command may address at most ${this.limits.maxDevices}`);
    return devices;
  }

  private validate(req: SendRequest, devices: TargetDevice[], now: number): { capable: (TargetDevice & { spec: CommandSpec })[]; paramExpiry: number | null } {
    if (devices.length === 0) throw badRequest('EMPTY_TARGET', 'the target holds no devices');
    const capable: (TargetDevice & { spec: CommandSpec })[] = [];
    const checked = new Map<string, CommandSpec | null>();
    let paramExpiry: number | null = null;
    for (const d of devices) {
      let spec = checked.get(d.kind);
      if (spec === undefined) {
        const kind = getKind(d.kind);
        spec = kind && Object.hasOwn(kind.commands, req.name) ? (kind.commands[req.name] ?? null) : null;
        checked.set(d.kind, spec);
        if (spec) {
          const errors = paramErrors(spec, req.params);
          if (errors.length)
            throw badRequest('INVALID_PARAMS', `params do not fit '${req.name}' of ${d.kind}: ${errors[0]?.path} ${errors[0]?.message}`, {
              kind: d.kind,
              errors,
            });
          const expiry = checkExpiryRule(req.name, spec, req.params, now);
          if (expiry) throw expiry;
          if (spec.expiry && req.params[spec.expiry.param] !== undefined) paramExpiry = Date.parse(String(req.params[spec.expiry.param]));
        }
      }
      if (spec) capable.push({ ...d, spec });
    }
    if (capable.length === 0) {
      const kinds = [...checked.keys()].join(', ');
      throw badRequest('COMMAND_NOT_SUPPORTED', `none of the ${devices.length} device(s) in the target (${kinds}) accept the command '${req.name}'`);
    }
    return { capable, paramExpiry };
  }

  private expiry(req: SendRequest, now: number, paramExpiry: number | null): Date {
    let t: number;
    if (req.expiresAt !== undefined) {
      t = Date.parse(req.expiresAt);
      if (Number.isNaN(t) || t <= now) throw badRequest('EXPIRY_PAST', `expiresAt ${req.expiresAt} is not in the future`);
    } else {
      t = now + (req.ttlS ?? this.limits.ttlS) * 1000;
    }
    if (t > now + this.limits.maxTtlS * 1000)
      throw badRequest('EXPIRY_TOO_FAR', `a command may wait at most ${this.limits.maxTtlS / 86_400} days for its devices`);
    // Delivering an override after its own end would be pointless: the command gives up when the override would end.
    return new Date(paramExpiry !== null ? Math.min(t, paramExpiry) : t);
  }

  /** Validates a request as send() would, without storing or sending anything (schedules check their command). */
  async check(req: SendRequest): Promise<{ devices: number; skipped: number }> {
    const devices = await this.resolve(req);
    const { capable } = this.validate(req, devices, this.clock());
    return { devices: capable.length, skipped: devices.length - capable.length };
  }

  /** The expiry rule of a command for the kinds in a target (for callers that fill the end time themselves). */
  expiryParam(name: string, kinds: string[]): string | null {
    for (const k of kinds) {
      const spec = getKind(k)?.commands[name];
      if (spec?.expiry) return spec.expiry.param;
    }
    return null;
  }

  /**
   * Stores the command and sends it to the devices connected here; the rest wait in the queue. Publishing runs on
   * after this returns (its failures only delay a delivery until its ack timeout), so a ward-wide command answers in
   * the time of one database transaction. `resolved` lets a caller that already resolved the target skip doing it twice.
   */
  private liveRoute: LiveRoute | undefined;

  /** The radio module takes hand-sent `live` commands and makes broadcasts of them (record, source check, audit). */
  routeLiveThrough(fn: LiveRoute): void {
    this.liveRoute = fn;
  }

  /**
   * A hand-sent `live` command to loudspeaker clusters becomes a broadcast (null when the command is something else).
   * `play` is refused in send(): a file broadcast needs an uploaded audio file, not a URL.
   */
  async sendAsBroadcast(req: SendRequest, origin: Origin): Promise<{ broadcastId: string; commandIds: string[] } | null> {
    if (!this.liveRoute || origin.origin !== 'api') return null;
    const devices = await this.resolve(req);
    const clusters = devices.filter((d) => getKind(d.kind)?.capabilities?.broadcast?.liveCommand === req.name);
    if (clusters.length === 0) return null;
    return this.liveRoute({ params: req.params, clusterIds: clusters.map((d) => d.id) }, origin);
  }

  async send(req: SendRequest, origin: Origin, resolved?: TargetDevice[]): Promise<SendResult> {
    const now = this.clock();
    const hash = requestHash(req);
    if (req.id !== undefined) {
      const earlier = await this.repo.find(req.id);
      if (earlier) return this.replay(earlier, hash);
    }
    const devices = resolved ?? (await this.resolve(req));
    const { capable, paramExpiry } = this.validate(req, devices, now);
    if (origin.origin === 'api') refuseBroadcastCommands(req.name, capable);
    const maxAttempts = req.maxAttempts ?? this.limits.maxAttempts;
    const row = {
      id: req.id ?? newId(),
      name: req.name,
      params: req.params,
      target: req.target,
      requestHash: hash,
      origin: origin.origin,
      createdBy: origin.actor,
      createdAt: new Date(now),
      expiresAt: this.expiry(req, now, paramExpiry),
      maxAttempts,
      deviceCount: capable.length,
    };
    const deliveries: NewDelivery[] = capable.map((d) => ({
      deviceId: d.id,
      kind: d.kind,
      state: this.dispatcher.isLocal(d.id) ? 'sent' : 'queued',
      ackTimeoutS: d.spec.ackTimeoutS,
    }));
    if (!(await this.repo.insert(row, deliveries, new Date(now)))) {
      const raced = await this.repo.find(row.id);
      if (raced) return this.replay(raced, hash);
    }
    const out: Outgoing[] = deliveries
      .filter((d) => d.state === 'sent')
      .map((d) => ({ commandId: row.id, deviceId: d.deviceId, name: row.name, params: row.params, expiresAt: row.expiresAt, attempts: 1 }));
    void this.dispatcher.publish(out);
    if (origin.origin !== 'api') await this.auditOwn(row.id, req, origin, capable.length);
    const counts = { queued: deliveries.length - out.length, sent: out.length, acknowledged: 0, failed: 0, expired: 0, cancelled: 0 };
    return { command: this.view({ ...row, cancelledAt: null, cancelledBy: null }, counts), created: true, skipped: devices.length - capable.length };
  }

  private async replay(earlier: CommandRow, hash: string): Promise<SendResult> {
    if (earlier.requestHash !== hash) throw conflict('IDEMPOTENCY_CONFLICT', `command '${earlier.id}' exists with a different request; use a new id`);
    return { command: await this.get(earlier.id), created: false, skipped: 0 };
  }

  /** Commands made by the service itself (schedules, program pushes, broadcasts) are audited here; API ones by the API. */
  private async auditOwn(id: string, req: SendRequest, origin: Origin, devices: number): Promise<void> {
    await this.audit.insert({
      actor: origin.actor,
      actorRole: origin.role,
      action: 'command.send',
      targetType: 'command',
      targetId: id,
      result: 'ok',
      details: { origin: origin.origin, name: req.name, target: req.target, devices },
      ip: null,
    });
  }

  private view(c: CommandRow, counts: CommandView['counts']): CommandView {
    return {
      id: c.id,
      name: c.name,
      params: c.params,
      target: c.target,
      origin: c.origin,
      createdBy: c.createdBy,
      createdAt: c.createdAt.toISOString(),
      expiresAt: c.expiresAt.toISOString(),
      maxAttempts: c.maxAttempts,
      deviceCount: c.deviceCount,
      cancelledAt: c.cancelledAt?.toISOString() ?? null,
      cancelledBy: c.cancelledBy,
      state: overallState(counts),
      stateLabel: STATE_LABELS[overallState(counts)],
      counts,
    };
  }

  async get(id: string): Promise<CommandView> {
    const c = await this.repo.find(id);
    if (!c) throw notFound('Command', id);
    const counts = (await this.repo.counts([id])).get(id);
    return this.view(c, counts ?? { queued: 0, sent: 0, acknowledged: 0, failed: 0, expired: 0, cancelled: 0 });
  }

  async follow(id: string, f: { state?: DeliveryState; limit: number; offset: number }): Promise<{ command: CommandView; deliveries: DeliveryView[] }> {
    const command = await this.get(id);
    return { command, deliveries: await this.repo.deliveries(id, f) };
  }

  /** With `deviceId`, each command also carries that device's own delivery (state, attempts, ack status, result). */
  async list(f: {
    name?: string;
    deviceId?: string;
    origin?: string;
    since?: Date;
    limit: number;
    offset: number;
  }): Promise<(CommandView & { delivery?: DeliveryView })[]> {
    const rows = await this.repo.list(f);
    const counts = await this.repo.counts(rows.map((r) => r.id));
    const own = f.deviceId
      ? await this.repo.deliveriesOf(
          f.deviceId,
          rows.map((r) => r.id),
        )
      : undefined;
    return rows.map((r) => {
      const v = this.view(r, counts.get(r.id) ?? { queued: 0, sent: 0, acknowledged: 0, failed: 0, expired: 0, cancelled: 0 });
      const d = own?.get(r.id);
      return d ? { ...v, delivery: d } : v;
    });
  }

  /** Stops further delivery. A command a device already holds may still be applied; its late ack is then recorded. */
  async cancel(id: string, by: string): Promise<{ command: CommandView; cancelled: number }> {
    const before = await this.get(id);
    if (before.counts.queued + before.counts.sent === 0)
      throw conflict('COMMAND_FINISHED', `command '${id}' has no delivery left to cancel (it is ${before.state})`);
    const changed = await this.repo.cancel(id, by, new Date(this.clock()));
    this.dispatcher.emitOutcomes(changed);
    return { command: await this.get(id), cancelled: changed.length };
  }
}

/**
 * A loudspeaker's play/live commands air whatever URL they carry, at any priority: sent by hand they would put a stream
 * on air as an emergency with no broadcast record, no clash check, no allow-list check of the source and no relay.
 * From the API they go through POST /api/v1/radio/broadcasts, which does all of that and is audited as such.
 */
function refuseBroadcastCommands(name: string, capable: { kind: string }[]): void {
  for (const kind of new Set(capable.map((d) => d.kind))) {
    const cap = getKind(kind)?.capabilities?.broadcast;
    if (cap && (cap.liveCommand === name || cap.playCommand === name)) {
      throw badRequest(
        'USE_BROADCAST',
        `Lệnh '${name}' chỉ được gửi qua chức năng phát thanh (POST /api/v1/radio/broadcasts) để có bản ghi và nhật ký. / The '${name}' command of ${kind} is sent through a broadcast (POST /api/v1/radio/broadcasts), which keeps its record and audit.`,
      );
    }
  }
}

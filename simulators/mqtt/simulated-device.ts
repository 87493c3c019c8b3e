/**
 * One simulated MQTT device: connects as its own id with its secret, announces itself with a retained birth status
 * and a matching last-will, reports telemetry from its kind's behaviour model, answers commands, and can be made to
 * misbehave (raw payloads, abrupt death, silent death, failing or ignoring commands) for tests.
 */
import { EventEmitter } from 'node:events';
import { getKind } from '../../devices/index.ts';
import type { DeviceKind } from '../../devices/index.ts';
import { topicFor } from '../../services/broker/topics.ts';
import { CommandProcessor } from './command-processor.ts';
import type { AckBody } from './command-processor.ts';
import { DeviceLink, OFFLINE } from './device-link.ts';
import type { ChannelCounts, QoS } from './device-link.ts';
import { GARBAGE_VARIANTS, garbagePayload } from './garbage.ts';
import type { GarbageVariant } from './garbage.ts';
import type { LatencySink } from './latency.ts';
import type { BaseState, InjectableFault, Metrics, ModelEvent, ProgramInfo } from './models/model.ts';
import { modelFor } from './models/registry.ts';
import type { ModelRunner } from './models/registry.ts';
import { hashString } from './noise.ts';
import { parseCommand } from './protocol.ts';
import type { AckPayload, CommandMessage, EventPayload, TelemetryPayload } from './protocol.ts';

export type { QoS };

export interface SimulatedDeviceOptions {
  brokerUrl: string;
  deviceId: string;
  secret: string;
  kind: string;
  /** Fixes per-device constants and noise; defaults to a hash of the device id. */
  seed?: number;
  /** Epoch ms; drives timestamps, the model and command expiry. */
  clock?: () => number;
  firmware?: string;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  /** Longest wait for a PUBACK/SUBACK before the publish counts as failed. */
  ackTimeoutMs?: number;
  /** Delay before acknowledging commands, to exercise the server's ack timeouts. */
  ackDelayMs?: number;
  /** Reconnect this long after the connection is lost; 0 (default) stays disconnected. */
  reconnectDelayMs?: number;
  /** Receives every publish→PUBACK latency; a fleet shares one. */
  latency?: LatencySink;
}

/** How the device answers commands: apply them (normal), answer 'error' without applying, or never answer. */
export type CommandBehaviour = 'apply' | 'fail' | 'ignore';
export type DisconnectReason = 'disconnect' | 'kill' | 'connection-lost' | 'flap';
export type RawPublishOutcome = { outcome: 'acked' | 'sent' } | { outcome: 'failed'; error: string };

export type SimulatedDeviceEvents = {
  connected: [];
  disconnected: [reason: DisconnectReason];
  command: [command: CommandMessage];
  ack: [ack: AckPayload];
  clientError: [error: Error];
};

const RECENT_COMMANDS = 100;

export class SimulatedDevice extends EventEmitter<SimulatedDeviceEvents> {
  readonly deviceId: string;
  readonly kind: DeviceKind;
  readonly seed: number;
  /** Command acknowledgements delivered to the broker. */
  acksSent = 0;
  commandsReceived = 0;
  reconnects = 0;
  /** The last commands received, oldest first. */
  readonly recentCommands: CommandMessage[] = [];

  private readonly opts: SimulatedDeviceOptions;
  private readonly clock: () => number;
  private readonly model: ModelRunner;
  private readonly processor: CommandProcessor;
  private readonly link: DeviceLink;
  private readonly topics: { telemetry: string; event: string; ack: string };
  private connecting = false;
  /** Set by kill/disconnect: no reconnecting after that. */
  private stopped = true;
  private silent = false;
  private behaviour: CommandBehaviour = 'apply';
  private reportTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Last timestamp sent: the next one is later, so no two messages of this device share a (device, time) key. */
  private lastTs = 0;
  private skewMs = 0;
  private garbageSent = 0;

  constructor(opts: SimulatedDeviceOptions) {
    super();
    const kind = getKind(opts.kind);
    const factory = modelFor(opts.kind);
    if (!kind || kind.transport !== 'mqtt' || !factory) throw new Error(`no MQTT simulator model for device kind '${opts.kind}'`);
    this.opts = opts;
    this.deviceId = opts.deviceId;
    this.kind = kind;
    this.seed = opts.seed ?? hashString(opts.deviceId);
    this.clock = opts.clock ?? Date.now;
    this.model = factory({ seed: this.seed, now: this.clock(), firmware: opts.firmware ?? '1.0.0-sim' });
    this.processor = new CommandProcessor(kind, this.model);
    const id = opts.deviceId;
    this.topics = { telemetry: topicFor(id, 'telemetry'), event: topicFor(id, 'event'), ack: topicFor(id, 'ack') };
    this.link = new DeviceLink(
      {
        brokerUrl: opts.brokerUrl,
        deviceId: id,
        secret: opts.secret,
        keepaliveS: opts.keepaliveS ?? 30,
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
        ackTimeoutMs: opts.ackTimeoutMs ?? 10_000,
        latency: opts.latency,
      },
      {
        message: (topic, payload) => this.onMessage(topic, payload),
        lost: () => this.onLost(),
        error: (err) => this.emit('clientError', err),
      },
    );
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** PUBLISH packets this device sent (telemetry, events, status, acks, raw). */
  get publishedCount(): number {
    return this.link.publishedCount;
  }

  /** Of those, how many the broker acknowledged (PUBACK); QoS 0 publishes never are. */
  get ackedCount(): number {
    return this.link.ackedCount;
  }

  /** Publishes that failed: connection lost or no PUBACK in time. */
  get failedCount(): number {
    return this.link.failedCount;
  }

  /** Acknowledged publishes by channel (telemetry, event, status, ack, other). */
  get ackedByChannel(): Readonly<ChannelCounts> {
    return this.link.ackedByChannel;
  }

  /** True after silentDeath(), until the next (re)connect. */
  get isSilent(): boolean {
    return this.silent;
  }

  /** How far this device's clock runs ahead (+) or behind (−), in ms. */
  get clockSkewMs(): number {
    return this.skewMs;
  }

  /** Connects with the last-will set, subscribes to its command topic, then publishes the retained birth status. */
  async connect(): Promise<void> {
    if (this.link.open || this.connecting) throw new Error(`${this.deviceId}: already connected`);
    try {
      await this.open();
    } catch (err) {
      // A failed first connect leaves nothing running in the background, even with reconnectDelayMs set.
      this.shutdown();
      throw err;
    }
  }

  /** Publishes the model's current readings (plus overrides; an undefined override drops that metric). Resolves on PUBACK. */
  async publishTelemetry(overrides: Record<string, unknown> = {}): Promise<TelemetryPayload> {
    this.assertSpeaking();
    this.advanceModel(this.clock());
    const payload: TelemetryPayload = { ts: this.stamp(), metrics: { ...this.model.metrics(), ...overrides } };
    await this.link.send(this.topics.telemetry, JSON.stringify(payload), 1);
    return payload;
  }

  async publishEvent(name: string, active?: boolean, data?: Record<string, unknown>): Promise<EventPayload> {
    this.assertSpeaking();
    return this.sendEvent({ event: name, active, data });
  }

  /** Sends anything anywhere, for invalid-message tests. Never rejects: a refusal is an outcome, not an error. */
  async publishRaw(topic: string, payload: string | Buffer, qos: QoS = 1, retain = false): Promise<RawPublishOutcome> {
    try {
      await this.link.send(topic, payload, qos, retain);
      return { outcome: qos > 0 ? 'acked' : 'sent' };
    } catch (err) {
      return { outcome: 'failed', error: (err as Error).message };
    }
  }

  /** Sends one of the garbage payloads (garbage.ts) on its own telemetry topic; the service must ack and dead-letter it. */
  publishGarbage(variant?: GarbageVariant): Promise<RawPublishOutcome> {
    this.assertSpeaking();
    const n = this.garbageSent++;
    const v = variant ?? GARBAGE_VARIANTS[n % GARBAGE_VARIANTS.length] ?? 'malformed-json';
    return this.publishRaw(this.topics.telemetry, garbagePayload(v, n), 1);
  }

  /**
   * The device clock runs off by skewMs from now on (a drifted RTC, or no NTP after a power cut). Only timestamps are
   * affected. The monotonic guard restarts, so clearing a forward skew does not leave later messages stuck in the future.
   */
  setClockSkew(skewMs: number): void {
    this.skewMs = skewMs;
    this.lastTs = 0;
  }

  /**
   * Drops the connection abruptly (the broker publishes the last-will) and comes back after offlineMs with a fresh
   * CONNECT and birth message. The model keeps running meanwhile: a stored lighting program goes on switching the lamp.
   */
  async flap(offlineMs: number): Promise<void> {
    if (!this.link.open || this.connecting) return;
    const wasStopped = this.stopped;
    clearTimeout(this.reconnectTimer);
    if (await this.link.destroy()) this.emit('disconnected', 'flap');
    if (wasStopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || this.link.open || this.connecting) return;
      this.open(true).catch((err: Error) => {
        this.emit('clientError', err);
        this.scheduleReconnect(offlineMs);
      });
    }, offlineMs);
  }

  /** Applies a command on the device itself, as a technician's handset would at commissioning: no MQTT, no ack. */
  applyLocally(name: string, params: Record<string, unknown>): { ok: boolean; error?: string } {
    const now = this.clock();
    this.advanceModel(now);
    const r = this.processor.process({ id: `local-${now}-${name}`, name, params }, now);
    return r.ack.status === 'ok' ? { ok: true } : { ok: false, error: r.ack.error ?? r.ack.status };
  }

  /** The stored program's state (kinds that run one), advanced to now; null for other kinds. */
  programInfo(): ProgramInfo | null {
    this.advanceModel(this.clock());
    return this.model.programInfo();
  }

  /** This kind's fault for a fleet-wide fault name (e.g. supply-loss), or undefined when the kind has none. */
  faultFor(name: InjectableFault): string | undefined {
    return this.model.injectable[name];
  }

  /** Reports every intervalMs; the first report after firstDelayMs (fleets spread their devices with it). */
  startReporting(intervalMs: number, firstDelayMs = 0): void {
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
    this.stopReporting();
    const tick = (): void => {
      // Nothing to send to while disconnected; reports resume after a reconnect.
      if (!this.connected || this.silent) return;
      this.publishTelemetry().catch((err: Error) => this.emit('clientError', err));
    };
    this.reportTimer = setTimeout(() => {
      tick();
      this.reportTimer = setInterval(tick, intervalMs);
    }, firstDelayMs);
  }

  stopReporting(): void {
    // Timeouts and intervals share one id space in Node, so this also cancels a first report still pending.
    clearInterval(this.reportTimer);
    this.reportTimer = undefined;
  }

  /** Raises or clears a fault: changes the readings where the model simulates it, and reports the fault event. */
  async setFault(fault: string, active: boolean, data?: Record<string, unknown>): Promise<EventPayload> {
    if (this.kind.events[fault]?.fault !== true) throw new Error(`'${fault}' is not a ${this.kind.name} fault`);
    this.assertSpeaking();
    this.advanceModel(this.clock());
    this.model.setFault(fault, active);
    return this.sendEvent({ event: fault, active, data });
  }

  /** The node is swapped for a new unit: cumulative counters restart from zero. */
  replace(): void {
    const now = this.clock();
    this.advanceModel(now);
    this.model.replace(now);
  }

  setCommandBehaviour(behaviour: CommandBehaviour): void {
    this.behaviour = behaviour;
  }

  /** The readings the device would report now, without publishing them. */
  metrics(): Metrics {
    this.advanceModel(this.clock());
    return this.model.metrics();
  }

  modelState(): Readonly<BaseState> {
    return this.model.snapshot();
  }

  /** Abrupt death (power cut): the socket is destroyed without DISCONNECT, so the broker publishes the last-will. */
  async kill(): Promise<void> {
    this.shutdown();
    if (await this.link.destroy()) this.emit('disconnected', 'kill');
  }

  /**
   * Goes quiet without dying: no telemetry, no events, commands unanswered, but the socket stays open and keep-alive
   * pings continue. The broker sees neither a will nor a disconnect; only the missed reports reveal it.
   * End it with kill() or disconnect().
   */
  silentDeath(): void {
    this.stopReporting();
    this.silent = true;
  }

  /**
   * Clean shutdown. DISCONNECT makes the broker discard the will (MQTT 3.1.1 §3.14.4), so by default the device first
   * replaces its retained birth message with {online:false} itself; announce:false skips that.
   */
  async disconnect(opts: { announce?: boolean } = {}): Promise<void> {
    this.shutdown();
    if (await this.link.close((opts.announce ?? true) ? OFFLINE : null)) this.emit('disconnected', 'disconnect');
  }

  private async open(isReconnect = false): Promise<void> {
    this.connecting = true;
    this.stopped = false;
    this.silent = false;
    try {
      await this.link.connect({ online: true, firmware: this.model.snapshot().firmware });
    } finally {
      this.connecting = false;
    }
    if (isReconnect) this.reconnects++;
    this.emit('connected');
  }

  private shutdown(): void {
    this.stopped = true;
    this.stopReporting();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private assertSpeaking(): void {
    if (this.silent) throw new Error(`${this.deviceId}: device is silent (silentDeath)`);
  }

  /** Device time for a message: the (skewed) clock, strictly after the previous message's. */
  private stamp(): number {
    const t = this.clock() + this.skewMs;
    this.lastTs = t > this.lastTs ? t : this.lastTs + 1;
    return this.lastTs;
  }

  private async sendEvent(e: ModelEvent): Promise<EventPayload> {
    const payload: EventPayload = { ts: e.at !== undefined ? e.at + this.skewMs : this.stamp(), event: e.event };
    if (e.active !== undefined) payload.active = e.active;
    if (e.data !== undefined) payload.data = e.data;
    await this.link.send(this.topics.event, JSON.stringify(payload), 1);
    return payload;
  }

  /** Advances the model; events time produced (a bulletin ending) are reported, or lost while the device cannot speak. */
  private advanceModel(now: number): void {
    this.publishModelEvents(this.model.advance(now));
  }

  private publishModelEvents(events: readonly ModelEvent[]): void {
    if (!this.connected || this.silent) return;
    for (const e of events) this.sendEvent(e).catch((err: Error) => this.emit('clientError', err));
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== this.link.cmdTopic || this.silent) return;
    const parsed = parseCommand(payload);
    if (!parsed.ok) {
      this.emit('clientError', new Error(`${this.deviceId}: unreadable command: ${parsed.error}`));
      if (parsed.id !== null) this.answer({ id: parsed.id, status: 'rejected', error: parsed.error }, []).catch((err: Error) => this.emit('clientError', err));
      return;
    }
    const cmd = parsed.command;
    this.commandsReceived++;
    this.recentCommands.push(cmd);
    if (this.recentCommands.length > RECENT_COMMANDS) this.recentCommands.shift();
    this.emit('command', cmd);
    this.handleCommand(cmd).catch((err: Error) => this.emit('clientError', err));
  }

  private async handleCommand(cmd: CommandMessage): Promise<void> {
    const now = this.clock();
    switch (this.behaviour) {
      case 'ignore':
        return;
      case 'fail': {
        const ack: AckBody = { id: cmd.id, status: 'error', error: 'simulated device failure' };
        this.processor.remember(ack);
        return this.answer(ack, []);
      }
      case 'apply': {
        this.advanceModel(now);
        const { ack, events } = this.processor.process(cmd, now);
        return this.answer(ack, events);
      }
    }
  }

  private async answer(body: AckBody, events: readonly ModelEvent[]): Promise<void> {
    const delay = this.opts.ackDelayMs ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const ack: AckPayload = { ...body, ts: this.stamp() };
    await this.link.send(this.topics.ack, JSON.stringify(ack), 1);
    this.acksSent++;
    this.emit('ack', ack);
    this.publishModelEvents(events);
  }

  private onLost(): void {
    this.emit('disconnected', 'connection-lost');
    this.scheduleReconnect();
  }

  private scheduleReconnect(delayMs?: number): void {
    const delay = delayMs ?? this.opts.reconnectDelayMs ?? 0;
    if (delay <= 0 || this.stopped) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped || this.link.open || this.connecting) return;
      this.open(true).catch((err: Error) => {
        this.emit('clientError', err);
        this.scheduleReconnect(delay);
      });
    }, delay);
  }
}

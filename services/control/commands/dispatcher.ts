/**
 * Moves deliveries through their lifecycle: publishes them (QoS 1) to devices connected to this process, records
 * acknowledgements in batches, re-queues after an ack timeout, fails after the last attempt, expires what could not
 * be delivered in time, and delivers queued commands when a device comes back. All state is in the database, so a
 * restarted process (or another process) picks up where this one stopped: the sweep re-arms every open delivery.
 *
 * With several processes, the process that holds a device's MQTT connection is the one that sends to it; claims are
 * conditional UPDATEs (queued → sent), so a delivery is sent by one process per attempt.
 */
import type { ModuleEvents } from '../../modules/events.ts';
import type { Logger } from '../../common/logger.ts';
import type { Metrics } from '../../common/metrics.ts';
import type { AckConsumer, CommandAck } from '../../ingest/ingest.service.ts';
import type { AckUpdate, Changed, CommandRepository, Outgoing } from './command.repository.ts';
import type { CommandOutcome } from './command.types.ts';

export interface CommandLink {
  publishToDevice(deviceId: string, channel: 'cmd', payload: unknown, qos?: 0 | 1): Promise<void>;
  isConnected(deviceId: string): boolean;
}

/** Where durable command acks come from (ingest): each is handed over until it was recorded here. */
export interface DurableAcks {
  consumeAcks(fn: AckConsumer): void;
}

export interface DispatcherOptions {
  repo: CommandRepository;
  /** Durable acks (stored with their batch before the PUBACK). Without it, acks come from the `ingest.ack` event (memory only). */
  acks?: DurableAcks;
  broker: CommandLink;
  events: ModuleEvents;
  log: Logger;
  metrics: Metrics;
  /** How often timeouts, expiry and the queue are checked (ms). */
  sweepMs?: number;
  clock?: () => number;
}

const ACK_FLUSH_MS = 5;
const WAKE_MS = 20;
const SWEEP_BATCH = 2000;
const MAX_BUFFERED_ACKS = 200_000;
const FINAL = new Set(['acknowledged', 'failed', 'expired', 'cancelled']);

const M = {
  sent: ['sw_command_sends_total', 'Command deliveries published to devices (every attempt)'],
  outcome: ['sw_command_delivery_outcomes_total', 'Command deliveries (one device each) that reached a final state, by state'],
  acks: ['sw_command_acks_total', 'Device acknowledgements recorded, by status'],
  publishFailed: ['sw_command_publish_failures_total', 'Publishes the broker refused (the delivery times out and is retried)'],
} as const;

interface DeviceStatusEvent {
  deviceId: string;
  online: boolean;
  reason: string;
}

export class Dispatcher {
  private readonly o: DispatcherOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private acks: AckUpdate[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private ackFlushing: Promise<void> | null = null;
  private readonly woken = new Set<string>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | null = null;
  private running = false;

  constructor(o: DispatcherOptions) {
    this.o = o;
    this.log = o.log.child({ module: 'commands' });
    this.clock = o.clock ?? Date.now;
  }

  private readonly onAck = (a: CommandAck): void => {
    if (this.acks.length >= MAX_BUFFERED_ACKS) this.acks.shift();
    this.acks.push({ commandId: a.commandId, deviceId: a.deviceId, status: a.status, time: a.time, result: a.result, error: a.error });
    this.ackTimer ??= setTimeout(() => void this.flushAcks(), ACK_FLUSH_MS);
  };

  private readonly onStatus = (s: DeviceStatusEvent): void => {
    if (!s.online) return;
    // The birth message comes after the device subscribed to its command topic (docs/mqtt-contract.md), so queued
    // commands sent now are not lost; a device that sends no birth is served by the sweep a little later.
    if (s.reason === 'birth') this.wake(s.deviceId);
  };

  /** Records acks ingest has stored; throwing leaves them stored, to be handed over again (so nothing acked is lost). */
  private readonly applyDurable = async (acks: CommandAck[]): Promise<void> => {
    if (!this.running) throw new Error('command dispatcher stopped: acks stay stored for the next start');
    const batch = dedupe(acks.map((a) => ({ commandId: a.commandId, deviceId: a.deviceId, status: a.status, time: a.time, result: a.result, error: a.error })));
    const changed = await this.o.repo.applyAcks(batch, new Date(this.clock()));
    for (const a of batch) this.o.metrics.inc(M.acks[0], M.acks[1], { status: a.status });
    this.emitOutcomes(changed);
  };

  start(): void {
    this.running = true;
    if (this.o.acks) this.o.acks.consumeAcks(this.applyDurable);
    else this.o.events.on('ingest.ack', this.onAck);
    this.o.events.on('device.status', this.onStatus);
    this.sweepTimer = setInterval(() => void this.sweep(), this.o.sweepMs ?? 1000);
    void this.sweep();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.o.events.off('ingest.ack', this.onAck);
    this.o.events.off('device.status', this.onStatus);
    clearInterval(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    await this.sweeping;
    await this.flushAcks();
  }

  /**
   * Whether this process can reach the device now. Asked of the broker every time (O(1)), not cached from status
   * events: a 'connected' status comes before the device subscribed to its commands, and in a cluster the device may
   * have moved to another node without this one seeing a disconnect.
   */
  isLocal(deviceId: string): boolean {
    return this.o.broker.isConnected(deviceId);
  }

  /** Publishes deliveries already marked sent. A failed publish is only logged: the ack timeout retries it. */
  async publish(out: Outgoing[]): Promise<void> {
    const ts = this.clock();
    await Promise.all(
      out.map(async (d) => {
        const payload = { id: d.commandId, name: d.name, params: d.params, ts, expiresAt: d.expiresAt.toISOString() };
        try {
          await this.o.broker.publishToDevice(d.deviceId, 'cmd', payload, 1);
          this.o.metrics.inc(M.sent[0], M.sent[1]);
        } catch (err) {
          this.o.metrics.inc(M.publishFailed[0], M.publishFailed[1]);
          this.log.warn({ err, deviceId: d.deviceId, commandId: d.commandId }, 'command publish failed');
        }
      }),
    );
  }

  /** Records buffered acks in one statement; kept for the next try if the database is away. */
  async flushAcks(): Promise<void> {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.ackFlushing) await this.ackFlushing;
    if (!this.acks.length) return;
    const batch = dedupe(this.acks);
    this.acks = [];
    this.ackFlushing = (async () => {
      try {
        const changed = await this.o.repo.applyAcks(batch, new Date(this.clock()));
        for (const a of batch) this.o.metrics.inc(M.acks[0], M.acks[1], { status: a.status });
        this.emitOutcomes(changed);
      } catch (err) {
        this.log.error({ err, acks: batch.length }, 'acknowledgements not recorded yet; retrying');
        this.acks = batch.concat(this.acks);
        if (this.running) this.ackTimer ??= setTimeout(() => void this.flushAcks(), 1000);
      } finally {
        this.ackFlushing = null;
      }
    })();
    await this.ackFlushing;
  }

  private wake(deviceId: string): void {
    this.woken.add(deviceId);
    this.wakeTimer ??= setTimeout(() => {
      this.wakeTimer = undefined;
      const ids = [...this.woken];
      this.woken.clear();
      this.deliverQueued(ids).catch((err: Error) => this.log.error({ err }, 'queued commands not delivered on reconnect; the sweep retries'));
    }, WAKE_MS);
  }

  private async deliverQueued(deviceIds: string[] | null): Promise<number> {
    const now = new Date(this.clock());
    const candidates = (await this.o.repo.queued(now, deviceIds, SWEEP_BATCH)).filter((p) => this.isLocal(p.deviceId));
    if (!candidates.length) return 0;
    const out = await this.o.repo.claim(candidates, now);
    await this.publish(out);
    return out.length;
  }

  /** Expiry, ack timeouts, then the queue. One sweep at a time per process. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const now = new Date(this.clock());
        this.emitOutcomes(await this.o.repo.expireDue(now));
        const timedOut = await this.o.repo.timeoutDue(now);
        if (timedOut.length)
          this.log.info({ deliveries: timedOut.length, failed: timedOut.filter((c) => c.state === 'failed').length }, 'command acknowledgements timed out');
        this.emitOutcomes(timedOut);
        await this.deliverQueued(null);
      } catch (err) {
        this.log.error({ err }, 'command sweep failed');
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  emitOutcomes(changed: Changed[]): void {
    const at = new Date(this.clock());
    for (const c of changed) {
      if (!FINAL.has(c.state)) continue;
      this.o.metrics.inc(M.outcome[0], M.outcome[1], { state: c.state });
      const ev: CommandOutcome = { commandId: c.commandId, deviceId: c.deviceId, status: c.state, at };
      this.o.events.emit('command.outcome', ev);
    }
  }
}

/** One ack per (command, device): a final answer beats 'in_progress', a later one an earlier one. */
function dedupe(acks: AckUpdate[]): AckUpdate[] {
  const by = new Map<string, AckUpdate>();
  for (const a of acks) {
    const k = `${a.commandId}\u0000${a.deviceId}`;
    const prev = by.get(k);
    if (!prev || prev.status === 'in_progress' || (a.status !== 'in_progress' && a.time >= prev.time)) by.set(k, a);
  }
  return [...by.values()];
}

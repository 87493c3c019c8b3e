/**
 * Turns one received command into an acknowledgement, the way device firmware would: unknown names, invalid params
 * and expired commands are rejected without touching the device; valid ones are applied to the behaviour model.
 * Redelivered commands (QoS 1 is at-least-once) are answered with the first ack instead of being applied twice.
 */
import { Value } from 'typebox/value';
import type { DeviceKind } from '../../devices/index.ts';
import type { ModelEvent } from './models/model.ts';
import { parseTime } from './models/model.ts';
import type { ModelRunner } from './models/registry.ts';
import type { AckPayload, CommandMessage } from './protocol.ts';

export type AckBody = Omit<AckPayload, 'ts'>;

export interface Processed {
  ack: AckBody;
  events: ModelEvent[];
  duplicate: boolean;
}

const REMEMBERED_ACKS = 256;

const reject = (id: string, error: string): AckBody => ({ id, status: 'rejected', error });

export class CommandProcessor {
  private readonly kind: DeviceKind;
  private readonly model: ModelRunner;
  /** Insertion-ordered, so the oldest entry is the first one dropped. */
  private readonly answered = new Map<string, AckBody>();

  constructor(kind: DeviceKind, model: ModelRunner) {
    this.kind = kind;
    this.model = model;
  }

  process(cmd: CommandMessage, now: number): Processed {
    const earlier = this.answered.get(cmd.id);
    if (earlier) return { ack: earlier, events: [], duplicate: true };
    const { ack, events } = this.decide(cmd, now);
    this.remember(ack);
    return { ack, events, duplicate: false };
  }

  /** Records an ack decided elsewhere (e.g. a simulated failure), so a redelivery gets the same answer. */
  remember(ack: AckBody): void {
    this.answered.set(ack.id, ack);
    if (this.answered.size > REMEMBERED_ACKS) {
      const oldest = this.answered.keys().next();
      if (!oldest.done) this.answered.delete(oldest.value);
    }
  }

  private decide(cmd: CommandMessage, now: number): { ack: AckBody; events: ModelEvent[] } {
    const spec = Object.hasOwn(this.kind.commands, cmd.name) ? this.kind.commands[cmd.name] : undefined;
    if (!spec) return { ack: reject(cmd.id, `unknown command '${cmd.name}' for ${this.kind.name}`), events: [] };
    if (cmd.expiresAt !== undefined) {
      const expiresAt = parseTime(cmd.expiresAt);
      if (Number.isNaN(expiresAt)) return { ack: reject(cmd.id, "'expiresAt' is not a time"), events: [] };
      if (expiresAt <= now) return { ack: reject(cmd.id, 'command expired before it arrived'), events: [] };
    }
    if (!Value.Check(spec.params, cmd.params)) {
      const errors = Value.Errors(spec.params, cmd.params);
      // TypeBox reports a stray property twice; the 'boolean' entry ("schema is false") is the less readable one.
      const first = errors.find((e) => e.keyword !== 'boolean') ?? errors[0];
      const where = first?.instancePath || '/';
      return { ack: reject(cmd.id, `invalid params: ${where} ${first?.message ?? 'does not match the schema'}`), events: [] };
    }
    const r = this.model.command(cmd.name, cmd.params, now);
    if (!r.ok) return { ack: { id: cmd.id, status: r.status, error: r.error }, events: [] };
    return { ack: { id: cmd.id, status: 'ok', result: r.result }, events: r.events };
  }
}

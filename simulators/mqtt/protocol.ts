/**
 * Payload shapes of the device side of the MQTT contract (services/broker/topics.ts, services/ingest/decoder.ts),
 * and parsing of what arrives on the command topic.
 */
import type { AckStatus } from '../../services/ingest/decoder.ts';

export type { AckStatus };

export interface TelemetryPayload {
  ts: number;
  metrics: Record<string, unknown>;
}

export interface EventPayload {
  ts: number;
  event: string;
  active?: boolean;
  data?: Record<string, unknown>;
}

export interface StatusPayload {
  online: boolean;
  firmware?: string;
}

export interface AckPayload {
  id: string;
  status: AckStatus;
  ts: number;
  result?: Record<string, unknown>;
  error?: string;
}

export interface CommandMessage {
  id: string;
  name: string;
  params: Record<string, unknown>;
  ts?: unknown;
  expiresAt?: unknown;
}

/** A command could not be read; with an id it can still be answered (rejected), without one it cannot. */
export type ParsedCommand = { ok: true; command: CommandMessage } | { ok: false; id: string | null; error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCommand(payload: Buffer): ParsedCommand {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, id: null, error: 'command is not JSON' };
  }
  if (!isObject(body)) return { ok: false, id: null, error: 'command is not a JSON object' };
  const id = typeof body.id === 'string' && body.id.length > 0 ? body.id : null;
  if (id === null) return { ok: false, id: null, error: "command has no 'id'" };
  if (typeof body.name !== 'string') return { ok: false, id, error: "command has no 'name'" };
  const params = body.params ?? {};
  if (!isObject(params)) return { ok: false, id, error: "'params' must be an object" };
  return { ok: true, command: { id, name: body.name, params, ts: body.ts, expiresAt: body.expiresAt } };
}

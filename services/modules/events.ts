/**
 * The events modules publish for each other on the shared bus: one declaration of each name and its payload (issue 16).
 * `ModuleEvents` is Node's EventEmitter typed by this map, so `emit('x', payload)` and `on('x', fn)` are checked by the
 * compiler: an event nobody declares, or a payload of the wrong shape, does not build. Payload types that belong to a
 * module are imported type-only from the module's own type files (never from a file that imports this one).
 */
import type { EventEmitter } from 'node:events';
import type { Batch } from '../ingest/batch.ts';
import type { CommandAck } from '../ingest/ack-inbox.ts';
import type { CommandOutcome } from '../control/commands/command.types.ts';
import type { Priority } from '../control/radio/priority.ts';
import type { BroadcastRecord } from '../control/radio/radio.repository.ts';
import type { Alarm } from '../health/alarms/alarm-lifecycle.ts';
import type { SnapshotRow } from '../cameras/camera.repository.ts';

/** A device went online or offline: MQTT (connect, disconnect, birth, will), camera probes, missed reports. */
export interface DeviceStatusEvent {
  deviceId: string;
  online: boolean;
  reason: string;
  at: Date;
  /** Why a camera probe failed (camera status only). */
  errorCode?: string;
}

/** A camera health probe finished. */
export interface CameraProbeEvent {
  cameraId: string;
  kind: string;
  ok: boolean;
  durationMs: number;
  at: Date;
  errorCode?: string;
}

/** A camera snapshot was stored. */
export interface CameraSnapshotEvent {
  cameraId: string;
  snapshotId: SnapshotRow['id'];
  takenAt: string;
  trigger: SnapshotRow['trigger'];
}

/** A broadcast changed (created, dispatched to its clusters, cancelled, done). */
export interface BroadcastUpdate {
  broadcastId: string;
  title: string;
  priority: Priority;
  status: BroadcastRecord['status'];
  change: 'created' | 'dispatched' | 'cancelled' | 'done';
  at: string;
  commands?: string[];
}

/** An alarm was raised, acknowledged or cleared: one name for dashboards, the change in `event`. */
export interface AlarmUpdate {
  event: 'alarm.raised' | 'alarm.acknowledged' | 'alarm.cleared';
  alarm: Alarm;
}

export interface ModuleEventMap {
  /** Device data that just became durable (telemetry, state, events, statuses). */
  'ingest.batch': [Batch];
  /** A device acknowledged a command (durably received; recording acks uses ctx.ingest.consumeAcks, which survives a crash). */
  'ingest.ack': [CommandAck];
  'device.status': [DeviceStatusEvent];
  /** A command reached a final state on one device. */
  'command.outcome': [CommandOutcome];
  'camera.probe': [CameraProbeEvent];
  'camera.snapshot': [CameraSnapshotEvent];
  'broadcast.update': [BroadcastUpdate];
  'alarm.update': [AlarmUpdate];
}

export type ModuleEventName = keyof ModuleEventMap;
export type ModuleEventPayload<K extends ModuleEventName> = ModuleEventMap[K][0];
export type ModuleEvents = EventEmitter<ModuleEventMap>;

/**
 * For the few places that hold an event name only as a union (a queue of mixed notices, a list of names to count or
 * forward): the compiler cannot pair each name with its payload there, so the payload is checked against the union.
 */
export function emitEvent<K extends ModuleEventName>(bus: ModuleEvents, name: K, payload: ModuleEventPayload<K>): void {
  (bus as unknown as EventEmitter).emit(name, payload);
}

export function onEvent<K extends ModuleEventName>(bus: ModuleEvents, name: K, listener: (payload: ModuleEventPayload<K>) => void): () => void {
  const untyped = bus as unknown as EventEmitter;
  untyped.on(name, listener);
  return () => void untyped.off(name, listener);
}

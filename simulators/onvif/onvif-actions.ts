/**
 * Dispatch of ONVIF operations to the simulated camera's state. Each service answers only its own operations,
 * as a real device does; anything else is ter:ActionNotSupported (ONVIF Core §5.11.2.3).
 */
import {
  PROFILES,
  capabilities,
  deviceInformation,
  empty,
  mediaUri,
  presets,
  profiles,
  ptzStatus,
  services,
  systemDateAndTime,
  videoSources,
} from './onvif-responses.ts';
import type { DeviceIdentity, Preset, ServiceAddrs } from './onvif-responses.ts';
import { isInRange } from './ptz-model.ts';
import type { PtzModel, PtzPosition } from './ptz-model.ts';
import { SoapFaultError, attributes, faults, parseDurationMs, section, text, xmlEscape } from './soap-envelope.ts';

export type ServiceName = 'device' | 'media' | 'ptz';

export interface ActionContext {
  identity: DeviceIdentity;
  addrs: ServiceAddrs;
  snapshotUri: (profileToken: string) => string;
  streamUri: (profileToken: string) => string;
  ptz: PtzModel;
  presets: Map<string, Preset>;
  now: () => Date;
  defaultPtzTimeoutMs: number;
}

type Handler = (ctx: ActionContext, body: string) => string;

/** ONVIF Core §5.9.4.3: GetSystemDateAndTime is PRE_AUTH so clients can learn the clock before signing. */
export const PRE_AUTH_ACTIONS = new Set(['GetSystemDateAndTime']);

function requireProfile(body: string): string {
  const token = text(body, 'ProfileToken') ?? '';
  if (!PROFILES.some((p) => p.token === token)) throw new SoapFaultError(faults.invalidArg('NoProfile', `No profile '${token}'`));
  return token;
}

function readVector(body: string, container: string, check: 'velocity' | 'position'): Partial<PtzPosition> {
  const inner = section(body, container);
  if (inner === undefined) return {};
  const pt = attributes(inner, 'PanTilt');
  const zoom = attributes(inner, 'Zoom');
  const out: Partial<PtzPosition> = {};
  if (pt?.x !== undefined) out.pan = Number(pt.x);
  if (pt?.y !== undefined) out.tilt = Number(pt.y);
  if (zoom?.x !== undefined) out.zoom = Number(zoom.x);
  for (const [axis, v] of Object.entries(out) as [keyof PtzPosition, number][]) {
    // Velocities share the −1..1 range on all axes; positions use the generic space ranges.
    const ok = check === 'velocity' ? Number.isFinite(v) && v >= -1 && v <= 1 : isInRange(axis, v);
    if (!ok) throw new SoapFaultError(faults.invalidArg(check === 'velocity' ? 'InvalidVelocity' : 'InvalidPosition', `${axis} ${v} out of range`));
  }
  return out;
}

function speedOf(body: string): number {
  const v = readVector(body, 'Speed', 'velocity');
  return Math.max(Math.abs(v.pan ?? 0), Math.abs(v.tilt ?? 0), Math.abs(v.zoom ?? 0)) || 1;
}

const device: Record<string, Handler> = {
  GetSystemDateAndTime: (ctx) => systemDateAndTime(ctx.now()),
  GetCapabilities: (ctx) => capabilities(ctx.addrs),
  GetServices: (ctx) => services(ctx.addrs),
  GetDeviceInformation: (ctx) => deviceInformation(ctx.identity),
};

const media: Record<string, Handler> = {
  GetProfiles: () => profiles(),
  GetVideoSources: () => videoSources(),
  GetStreamUri: (ctx, body) => mediaUri('GetStreamUriResponse', ctx.streamUri(requireProfile(body))),
  GetSnapshotUri: (ctx, body) => mediaUri('GetSnapshotUriResponse', ctx.snapshotUri(requireProfile(body))),
};

const ptz: Record<string, Handler> = {
  ContinuousMove: (ctx, body) => {
    requireProfile(body);
    const velocity = readVector(body, 'Velocity', 'velocity');
    const raw = text(body, 'Timeout');
    const timeoutMs = raw === undefined ? ctx.defaultPtzTimeoutMs : parseDurationMs(raw);
    if (timeoutMs === undefined) throw new SoapFaultError(faults.invalidArg('InvalidTimeout', `Bad timeout '${raw ?? ''}'`));
    ctx.ptz.continuousMove(velocity, timeoutMs);
    return empty('tptz', 'ContinuousMoveResponse');
  },
  AbsoluteMove: (ctx, body) => {
    requireProfile(body);
    ctx.ptz.moveTo(readVector(body, 'Position', 'position'), speedOf(body));
    return empty('tptz', 'AbsoluteMoveResponse');
  },
  Stop: (ctx, body) => {
    requireProfile(body);
    // PTZ §5.3.5: an absent PanTilt/Zoom flag means "stop that axis too".
    ctx.ptz.stop(text(body, 'PanTilt') !== 'false', text(body, 'Zoom') !== 'false');
    return empty('tptz', 'StopResponse');
  },
  GetStatus: (ctx, body) => {
    requireProfile(body);
    return ptzStatus(ctx.ptz.position(), ctx.ptz.isMoving('panTilt'), ctx.ptz.isMoving('zoom'), ctx.now());
  },
  GetPresets: (ctx, body) => {
    requireProfile(body);
    return presets([...ctx.presets.values()]);
  },
  GotoPreset: (ctx, body) => {
    requireProfile(body);
    const preset = ctx.presets.get(text(body, 'PresetToken') ?? '');
    if (!preset) throw new SoapFaultError(faults.invalidArg('NoToken', 'No such preset'));
    ctx.ptz.moveTo(preset.position, speedOf(body));
    return empty('tptz', 'GotoPresetResponse');
  },
  SetPreset: (ctx, body) => {
    requireProfile(body);
    const token = text(body, 'PresetToken') || String(ctx.presets.size + 1);
    const name = text(body, 'PresetName') || `Preset ${token}`;
    ctx.presets.set(token, { token, name, position: ctx.ptz.position() });
    return `<tptz:SetPresetResponse><tptz:PresetToken>${xmlEscape(token)}</tptz:PresetToken></tptz:SetPresetResponse>`;
  },
};

const HANDLERS: Record<ServiceName, Record<string, Handler>> = { device, media, ptz };

export function runAction(service: ServiceName, action: string, ctx: ActionContext, body: string): string {
  const handler = HANDLERS[service][action];
  if (!handler) throw new SoapFaultError(faults.actionNotSupported(action));
  return handler(ctx, body);
}

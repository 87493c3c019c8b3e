/**
 * CameraDriver over ONVIF Profile S + PTZ with our own SOAP client (see docs/cameras.md for why not the `onvif` package).
 * Per camera it caches the clock offset, the service addresses and the Digest session; one deadline covers a whole
 * driver call, including the GetSystemDateAndTime / GetCapabilities it may need first.
 */
import type { Logger } from '../common/logger.ts';
import { silentLogger } from '../common/logger.ts';
import { badRequest } from '../common/errors.ts';
import type { AppError } from '../common/errors.ts';
import type {
  CallOptions,
  CameraConnection,
  CameraDriver,
  DeviceInfo,
  MediaProfile,
  ProbeResult,
  PtzPreset,
  PtzStatus,
  PtzVector,
  Snapshot,
} from './camera-driver.ts';
import { CameraErrorCode, cameraError, describeAddress, isCameraError } from './camera-errors.ts';
import { DigestSession } from './http-digest.ts';
import { deadline, httpExchange } from './http-transport.ts';
import { malformed, readDeviceInfo, readMediaUri, readPresets, readProfiles, readPtzStatus, readSystemDateTime, readXAddr } from './onvif-parse.ts';
import { soapCall } from './soap-client.ts';
import { detectImageType } from './image-type.ts';
import type { XmlElement } from './xml.ts';
import { child, xmlEscape } from './xml.ts';

const NS = {
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
  ptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  schema: 'http://www.onvif.org/ver10/schema',
} as const;
type Service = keyof Omit<typeof NS, 'schema'>;

/** A re-measured offset this much different from the cached one means the camera's clock jumped (NTP, reboot). */
const CLOCK_JUMP_MS = 2000;

export interface OnvifDriverOptions {
  /** Default per-call timeout for SOAP operations. */
  timeoutMs?: number;
  /** Default per-call timeout for snapshot downloads (bigger bodies, slower encoders). */
  snapshotTimeoutMs?: number;
  maxSnapshotBytes?: number;
  logger?: Logger;
}

interface CameraState {
  clockOffsetMs?: number;
  services?: { media: string; ptz?: string };
  defaultProfile?: string;
  snapshotUris: Map<string, string>;
  digest: DigestSession;
  password: string;
}

/**
 * Cameras behind NAT or a 4G router report their LAN address in XAddrs/URIs; keep the path but use the host and port
 * we actually reach the device on (the same fix as `preserveAddress` in the onvif package).
 */
function rebase(serviceUrl: string, deviceAddress: string): string {
  const s = new URL(serviceUrl);
  const d = new URL(deviceAddress);
  s.protocol = d.protocol;
  s.host = d.host;
  return s.toString();
}

const f = (n: number): string => String(Math.round(n * 1e6) / 1e6);
const vector2 = (tag: string, x: number, y: number): string => `<${tag} xmlns="${NS.schema}" x="${f(x)}" y="${f(y)}"/>`;
const vector1 = (tag: string, x: number): string => `<${tag} xmlns="${NS.schema}" x="${f(x)}"/>`;

function checkRange(what: string, v: number | undefined, lo: number, hi: number): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= lo && v <= hi)) {
    throw badRequest('CAMERA_PTZ_OUT_OF_RANGE', `${what} must be between ${lo} and ${hi} (got ${v}).`);
  }
}

export class OnvifCameraDriver implements CameraDriver {
  private readonly states = new Map<string, CameraState>();
  private readonly timeoutMs: number;
  private readonly snapshotTimeoutMs: number;
  private readonly log: Logger;

  constructor(private readonly opts: OnvifDriverOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.snapshotTimeoutMs = opts.snapshotTimeoutMs ?? 10_000;
    this.log = (opts.logger ?? silentLogger()).child({ module: 'camera-driver' });
  }

  forget(cam: CameraConnection): void {
    this.states.delete(this.key(cam));
  }

  async probe(cam: CameraConnection, opts?: CallOptions): Promise<ProbeResult> {
    return this.scoped(cam, 'GetSystemDateAndTime', opts, this.timeoutMs, (signal) => this.syncClock(cam, this.state(cam), signal));
  }

  async getDeviceInfo(cam: CameraConnection, opts?: CallOptions): Promise<DeviceInfo> {
    const resp = await this.invoke(cam, 'device', 'GetDeviceInformation', '', opts);
    return readDeviceInfo(resp);
  }

  async getProfiles(cam: CameraConnection, opts?: CallOptions): Promise<MediaProfile[]> {
    return readProfiles(await this.invoke(cam, 'media', 'GetProfiles', '', opts));
  }

  async getStreamUri(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<string> {
    return this.scoped(cam, 'GetStreamUri', opts, this.timeoutMs, async (signal) => {
      const token = await this.profileToken(cam, opts?.profileToken, signal);
      const params =
        `<StreamSetup><Stream xmlns="${NS.schema}">RTP-Unicast</Stream><Transport xmlns="${NS.schema}"><Protocol>RTSP</Protocol>` +
        `</Transport></StreamSetup><ProfileToken>${xmlEscape(token)}</ProfileToken>`;
      const uri = readMediaUri(await this.send(cam, 'media', 'GetStreamUri', params, signal));
      if (!uri) throw malformed(describeAddress(cam.address), 'GetStreamUri', 'no Uri');
      return uri;
    });
  }

  async getSnapshotUri(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<string> {
    return this.scoped(cam, 'GetSnapshotUri', opts, this.timeoutMs, (signal) => this.snapshotUri(cam, opts?.profileToken, signal));
  }

  async getSnapshot(cam: CameraConnection, opts?: CallOptions & { profileToken?: string }): Promise<Snapshot> {
    return this.scoped(cam, 'snapshot', opts, this.snapshotTimeoutMs, async (signal) => {
      const uri = await this.snapshotUri(cam, opts?.profileToken, signal);
      return this.download(cam, uri, opts?.profileToken, signal);
    });
  }

  async ptzContinuousMove(cam: CameraConnection, v: PtzVector, moveTimeoutMs?: number, opts?: CallOptions): Promise<void> {
    for (const axis of ['pan', 'tilt', 'zoom'] as const) checkRange(`${axis} velocity`, v[axis], -1, 1);
    await this.ptz(cam, 'ContinuousMove', opts, (token) => {
      const pt = v.pan !== undefined || v.tilt !== undefined ? vector2('PanTilt', v.pan ?? 0, v.tilt ?? 0) : '';
      const zoom = v.zoom !== undefined ? vector1('Zoom', v.zoom) : '';
      // xs:duration; without it the camera applies its DefaultPTZTimeout (PTZ §5.3.3).
      const timeout = moveTimeoutMs !== undefined ? `<Timeout>PT${f(Math.max(0, moveTimeoutMs) / 1000)}S</Timeout>` : '';
      return `<ProfileToken>${xmlEscape(token)}</ProfileToken><Velocity>${pt}${zoom}</Velocity>${timeout}`;
    });
  }

  async ptzStop(cam: CameraConnection, axes: { panTilt?: boolean; zoom?: boolean } = {}, opts?: CallOptions): Promise<void> {
    await this.ptz(
      cam,
      'Stop',
      opts,
      (token) => `<ProfileToken>${xmlEscape(token)}</ProfileToken><PanTilt>${axes.panTilt ?? true}</PanTilt><Zoom>${axes.zoom ?? true}</Zoom>`,
    );
  }

  async ptzAbsoluteMove(cam: CameraConnection, pos: PtzVector, speed?: PtzVector, opts?: CallOptions): Promise<void> {
    checkRange('pan', pos.pan, -1, 1);
    checkRange('tilt', pos.tilt, -1, 1);
    checkRange('zoom', pos.zoom, 0, 1);
    // tt:Vector2D needs both x and y; fill a missing axis from the current position rather than jumping it to 0.
    const needCurrent = (pos.pan === undefined) !== (pos.tilt === undefined);
    const cur = needCurrent ? await this.getPtzStatus(cam, opts) : undefined;
    await this.ptz(cam, 'AbsoluteMove', opts, (token) => {
      const pt = pos.pan !== undefined || pos.tilt !== undefined ? vector2('PanTilt', pos.pan ?? cur?.pan ?? 0, pos.tilt ?? cur?.tilt ?? 0) : '';
      const zoom = pos.zoom !== undefined ? vector1('Zoom', pos.zoom) : '';
      return `<ProfileToken>${xmlEscape(token)}</ProfileToken><Position>${pt}${zoom}</Position>${this.speedXml(speed)}`;
    });
  }

  async getPresets(cam: CameraConnection, opts?: CallOptions): Promise<PtzPreset[]> {
    return readPresets(await this.ptz(cam, 'GetPresets', opts, (t) => `<ProfileToken>${xmlEscape(t)}</ProfileToken>`));
  }

  async gotoPreset(cam: CameraConnection, presetToken: string, speed?: PtzVector, opts?: CallOptions): Promise<void> {
    await this.ptz(
      cam,
      'GotoPreset',
      opts,
      (t) => `<ProfileToken>${xmlEscape(t)}</ProfileToken><PresetToken>${xmlEscape(presetToken)}</PresetToken>${this.speedXml(speed)}`,
    );
  }

  async setPreset(cam: CameraConnection, name: string, opts?: CallOptions & { presetToken?: string }): Promise<string> {
    const resp = await this.ptz(cam, 'SetPreset', opts, (t) => {
      const token = opts?.presetToken !== undefined ? `<PresetToken>${xmlEscape(opts.presetToken)}</PresetToken>` : '';
      return `<ProfileToken>${xmlEscape(t)}</ProfileToken><PresetName>${xmlEscape(name)}</PresetName>${token}`;
    });
    const token = child(resp, 'PresetToken')?.text;
    if (!token) throw malformed(describeAddress(cam.address), 'SetPreset', 'no PresetToken');
    return token;
  }

  async getPtzStatus(cam: CameraConnection, opts?: CallOptions): Promise<PtzStatus> {
    const resp = await this.ptz(cam, 'GetStatus', opts, (t) => `<ProfileToken>${xmlEscape(t)}</ProfileToken>`);
    return readPtzStatus(resp, describeAddress(cam.address));
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private key(cam: CameraConnection): string {
    return `${cam.address}\n${cam.username}`;
  }

  private state(cam: CameraConnection): CameraState {
    const k = this.key(cam);
    let st = this.states.get(k);
    if (!st || st.password !== cam.password) {
      st = {
        snapshotUris: new Map(),
        digest: new DigestSession(cam),
        password: cam.password,
        ...(st ? { clockOffsetMs: st.clockOffsetMs, services: st.services } : {}),
      };
      this.states.set(k, st);
    }
    return st;
  }

  /** Runs fn under one deadline (opts.timeoutMs or the default) that also follows the caller's AbortSignal. */
  private async scoped<T>(cam: CameraConnection, op: string, opts: CallOptions | undefined, def: number, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    const d = deadline(cam.address, op, opts?.timeoutMs ?? def, opts?.signal);
    try {
      return await fn(d.signal);
    } finally {
      d.dispose();
    }
  }

  private async invoke(cam: CameraConnection, service: Service, op: string, params: string, opts?: CallOptions): Promise<XmlElement> {
    return this.scoped(cam, op, opts, this.timeoutMs, (signal) => this.send(cam, service, op, params, signal));
  }

  private async ptz(cam: CameraConnection, op: string, opts: CallOptions | undefined, params: (profile: string) => string): Promise<XmlElement> {
    return this.scoped(cam, op, opts, this.timeoutMs, async (signal) => {
      const token = await this.profileToken(cam, cam.profileToken, signal);
      return this.send(cam, 'ptz', op, params(token), signal);
    });
  }

  private speedXml(speed: PtzVector | undefined): string {
    if (!speed) return '';
    for (const axis of ['pan', 'tilt', 'zoom'] as const) checkRange(`${axis} speed`, speed[axis], -1, 1);
    const pt = speed.pan !== undefined || speed.tilt !== undefined ? vector2('PanTilt', speed.pan ?? 1, speed.tilt ?? 1) : '';
    return `<Speed>${pt}${speed.zoom !== undefined ? vector1('Zoom', speed.zoom) : ''}</Speed>`;
  }

  private async syncClock(cam: CameraConnection, st: CameraState, signal: AbortSignal): Promise<ProbeResult> {
    const sent = Date.now();
    const resp = await soapCall({ url: cam.address, operation: 'GetSystemDateAndTime', namespace: NS.device, signal });
    const received = Date.now();
    const cameraMs = readSystemDateTime(resp, describeAddress(cam.address));
    // The camera truncates to whole seconds, so its true time is in [t, t+1 s): add half a second and sample at the
    // round-trip midpoint, which keeps the error within ±0.5 s plus half the round trip.
    const clockOffsetMs = cameraMs + 500 - Math.round((sent + received) / 2);
    if (st.clockOffsetMs !== undefined && Math.abs(clockOffsetMs - st.clockOffsetMs) > CLOCK_JUMP_MS) {
      this.log.info({ camera: describeAddress(cam.address), clockOffsetMs, previous: st.clockOffsetMs }, 'camera clock offset changed');
    }
    st.clockOffsetMs = clockOffsetMs;
    return { clockOffsetMs, cameraTime: new Date(cameraMs), roundTripMs: received - sent };
  }

  /** Some firmware (Panasonic, per the onvif package notes) wants auth even for GetSystemDateAndTime: then assume 0. */
  private async ensureClock(cam: CameraConnection, st: CameraState, signal: AbortSignal): Promise<void> {
    if (st.clockOffsetMs !== undefined) return;
    try {
      await this.syncClock(cam, st, signal);
    } catch (err) {
      if (!isCameraError(err, CameraErrorCode.AUTH_FAILED) && !isCameraError(err, CameraErrorCode.REJECTED)) throw err;
      st.clockOffsetMs = 0;
    }
  }

  private async serviceUrl(cam: CameraConnection, st: CameraState, service: Service, signal: AbortSignal): Promise<string> {
    if (service === 'device') return cam.address;
    if (!st.services) {
      const caps = await this.authed(cam, st, cam.address, 'GetCapabilities', NS.device, '<Category>All</Category>', signal);
      const media = readXAddr(caps, 'Media');
      if (!media) throw malformed(describeAddress(cam.address), 'GetCapabilities', 'no Media XAddr');
      const ptz = readXAddr(caps, 'PTZ');
      st.services = { media: rebase(media, cam.address), ptz: ptz ? rebase(ptz, cam.address) : undefined };
    }
    const url = service === 'media' ? st.services.media : st.services.ptz;
    if (!url) {
      throw cameraError(CameraErrorCode.REJECTED, `Camera at ${describeAddress(cam.address)} has no PTZ service.`, {
        address: describeAddress(cam.address),
        operation: 'GetCapabilities',
        cause: 'no PTZ XAddr',
      });
    }
    return url;
  }

  private async send(cam: CameraConnection, service: Service, op: string, params: string, signal: AbortSignal): Promise<XmlElement> {
    const st = this.state(cam);
    await this.ensureClock(cam, st, signal);
    const url = await this.serviceUrl(cam, st, service, signal);
    return this.authed(cam, st, url, op, NS[service], params, signal);
  }

  /**
   * An authenticated call. A camera whose clock jumped rejects our token exactly as it rejects a wrong password
   * (ter:NotAuthorized), so on that fault we re-measure the clock once and retry only if the offset really moved.
   */
  private async authed(
    cam: CameraConnection,
    st: CameraState,
    url: string,
    op: string,
    namespace: string,
    params: string,
    signal: AbortSignal,
  ): Promise<XmlElement> {
    const call = () =>
      soapCall({
        url,
        operation: op,
        namespace,
        params,
        signal,
        auth: { username: cam.username, password: cam.password, digest: st.digest, cameraNowMs: () => Date.now() + (st.clockOffsetMs ?? 0) },
      });
    try {
      return await call();
    } catch (err) {
      if (!isCameraError(err, CameraErrorCode.AUTH_FAILED)) throw err;
      const before = st.clockOffsetMs ?? 0;
      const probe = await this.syncClock(cam, st, signal).catch(() => undefined);
      if (!probe || Math.abs(probe.clockOffsetMs - before) <= CLOCK_JUMP_MS) throw err;
      return call();
    }
  }

  private async profileToken(cam: CameraConnection, wanted: string | undefined, signal: AbortSignal): Promise<string> {
    if (wanted) return wanted;
    const st = this.state(cam);
    if (st.defaultProfile === undefined) {
      const first = readProfiles(await this.send(cam, 'media', 'GetProfiles', '', signal))[0];
      if (!first?.token) throw malformed(describeAddress(cam.address), 'GetProfiles', 'no media profile');
      st.defaultProfile = first.token;
    }
    return st.defaultProfile;
  }

  private async snapshotUri(cam: CameraConnection, wanted: string | undefined, signal: AbortSignal): Promise<string> {
    const token = await this.profileToken(cam, wanted ?? cam.profileToken, signal);
    const st = this.state(cam);
    const cached = st.snapshotUris.get(token);
    if (cached) return cached;
    const resp = await this.send(cam, 'media', 'GetSnapshotUri', `<ProfileToken>${xmlEscape(token)}</ProfileToken>`, signal);
    const uri = readMediaUri(resp);
    if (!uri) throw malformed(describeAddress(cam.address), 'GetSnapshotUri', 'no Uri');
    const rebased = rebase(uri, cam.address);
    st.snapshotUris.set(token, rebased);
    return rebased;
  }

  private async download(cam: CameraConnection, uri: string, profile: string | undefined, signal: AbortSignal): Promise<Snapshot> {
    const st = this.state(cam);
    const target = new URL(uri);
    const requestTarget = target.pathname + target.search;
    const get = (authorization?: string) =>
      httpExchange({
        url: uri,
        method: 'GET',
        operation: 'snapshot',
        signal,
        maxBytes: this.opts.maxSnapshotBytes,
        headers: authorization ? { authorization } : {},
      });
    let res = await get(st.digest.authorization('GET', requestTarget));
    if (res.status === 401) {
      if (!st.digest.accept(res.authenticate))
        throw this.snapshotError(cam, CameraErrorCode.AUTH_FAILED, 'offers no HTTP Digest authentication we can use (Basic is never sent)', 401);
      res = await get(st.digest.authorization('GET', requestTarget));
    }
    if (res.status === 401 || res.status === 403)
      throw this.snapshotError(cam, CameraErrorCode.AUTH_FAILED, 'rejected the stored username or password for the snapshot', res.status);
    if (res.status === 404) st.snapshotUris.delete(profile ?? cam.profileToken ?? st.defaultProfile ?? '');
    if (res.status !== 200) throw this.snapshotError(cam, CameraErrorCode.BAD_RESPONSE, `answered the snapshot request with HTTP ${res.status}`, res.status);
    const type = detectImageType(res.body);
    if (!type) throw this.snapshotError(cam, CameraErrorCode.BAD_RESPONSE, 'sent a snapshot that is not a JPEG/PNG image', res.status);
    return { bytes: res.body, contentType: type, fetchedAt: new Date() };
  }

  private snapshotError(cam: CameraConnection, code: CameraErrorCode, what: string, status: number): AppError {
    const where = describeAddress(cam.address);
    return cameraError(code, `Camera at ${where} ${what}.`, { address: where, operation: 'snapshot', httpStatus: status });
  }
}

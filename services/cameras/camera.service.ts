/**
 * Camera registry: registers a camera only after talking to it (probe, device information, profiles), stores the ONVIF
 * connection with the password sealed under the service key, and hands decrypted connections to PTZ, snapshots and
 * health. A camera is a device of the kind whose transport is 'onvif'; it is created through DeviceService.provision
 * like every device, but the MQTT secret that provisioning generates is discarded unseen: cameras never connect to
 * our broker, and nobody can connect as one.
 */
import type { NetGuard } from '../common/net-guard.ts';
import { isIP } from 'node:net';
import type { DeviceKind } from '../../devices/index.ts';
import { AppError, badRequest, conflict, notFound } from '../common/errors.ts';
import { decryptSecret, encryptSecret } from '../common/crypto.ts';
import type { Logger } from '../common/logger.ts';
import type { DeviceRepository } from '../registry/device.repository.ts';
import type { DeviceService, ProvisionInput } from '../registry/device.service.ts';
import type { CameraConnection, CameraDriver, MediaProfile } from './camera-driver.ts';
import { CameraErrorCode, cameraError, describeAddress, isCameraError } from './camera-errors.ts';
import type { CameraSettings } from './camera-settings.ts';
import type { CameraRecord, CameraRepository, ConnectionFacts, StoredConnection } from './camera.repository.ts';
import type { CameraHealth, PolledCamera } from './health-poller.ts';
import { discover } from './ws-discovery.ts';
import type { DiscoveredCamera } from './ws-discovery.ts';

export interface ConnectionInput {
  address: string;
  username: string;
  password: string;
  profileToken?: string;
}

export type RegisterInput = Omit<ProvisionInput, 'kind'> & { connection: ConnectionInput };

export interface ConnectionPatch {
  address?: string;
  username?: string;
  password?: string;
  /** null = back to the camera's first profile. */
  profileToken?: string | null;
}

export type CameraView = CameraRecord & { health: CameraHealth | null };

export interface DiscoveryRequest {
  bindAddress?: string;
  targetAddress?: string;
  port?: number;
  timeoutMs?: number;
}

export interface CameraServiceDeps {
  /** Networks camera addresses may be in (SW_NETWORKS_CAMERA); absent: any. */
  addressGuard?: NetGuard;
  repo: CameraRepository;
  driver: CameraDriver;
  devices: DeviceService;
  deviceRepo: DeviceRepository;
  serviceKey: Buffer;
  kind: DeviceKind;
  settings: () => CameraSettings;
  log: Logger;
  /** Live health from the poller (null until the camera was checked once). */
  healthOf: (id: string) => CameraHealth | undefined;
  /** Called after a camera was added or its connection changed. */
  onChanged: () => void;
}

const DEFAULT_SERVICE_PATH = '/onvif/device_service';

/** Checks and normalises an ONVIF device address; a bare host gets the standard service path (ONVIF Core §5.1.1). */
export function normaliseAddress(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badRequest('CAMERA_BAD_ADDRESS', `'${raw}' is not a URL; expected e.g. http://10.20.0.31/onvif/device_service`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw badRequest('CAMERA_BAD_ADDRESS', `ONVIF cameras are reached over http or https, not '${u.protocol}'`);
  }
  if (u.username || u.password) throw badRequest('CAMERA_BAD_ADDRESS', 'Put the credentials in username/password, not in the address');
  u.hash = '';
  if (u.pathname === '/' || u.pathname === '') u.pathname = DEFAULT_SERVICE_PATH;
  return u.toString();
}

export class CameraService {
  constructor(private readonly d: CameraServiceDeps) {}

  /** Connects first; creates the device and its connection only when the camera answered as a camera. */
  async register(input: RegisterInput): Promise<CameraView> {
    const { connection, ...deviceFields } = input;
    const conn = this.connectionFrom(connection);
    await this.ensureAddressFree(conn.address, null);
    if (input.id && (await this.d.deviceRepo.get(input.id))) throw conflict('DEVICE_EXISTS', `Device '${input.id}' already exists`);
    const facts = await this.verify(conn);
    const info = facts.deviceInfo;
    const { device } = await this.d.devices.provision({
      ...deviceFields,
      kind: this.d.kind.name,
      asset: { manufacturer: info.manufacturer, model: info.model, serial: info.serialNumber, firmware: info.firmwareVersion, ...deviceFields.asset },
    });
    try {
      await this.d.repo.insertConnection(this.stored(device.id, conn), facts);
    } catch (err) {
      // Two registrations of one address raced past ensureAddressFree: undo the device so nothing is left behind.
      await this.d.devices.remove(device.id).catch(() => undefined);
      if ((err as { code?: string }).code === '23505') throw conflict('CAMERA_EXISTS', `A camera at ${describeAddress(conn.address)} is already registered`);
      throw err;
    }
    this.d.log.info({ cameraId: device.id, camera: describeAddress(conn.address), model: info.model }, 'camera registered');
    this.d.onChanged();
    return this.get(device.id);
  }

  /** Changes address, credentials or profile; the new connection must work before it replaces the old one. */
  async updateConnection(id: string, patch: ConnectionPatch): Promise<CameraView> {
    const current = await this.d.repo.connection(id);
    if (!current) throw notFound('Camera', id);
    // A new password needs no old one: that is how a camera whose sealed password became unreadable is repaired.
    const old: CameraConnection = { address: current.address, username: current.username, password: patch.password ?? this.decrypted(current).password };
    const next: CameraConnection = {
      address: patch.address !== undefined ? this.guarded(normaliseAddress(patch.address)) : old.address,
      username: patch.username ?? old.username,
      password: old.password,
      ...(patch.profileToken === null ? {} : { profileToken: patch.profileToken ?? current.profileToken ?? undefined }),
    };
    if (next.address !== old.address) await this.ensureAddressFree(next.address, id);
    const facts = await this.verify(next);
    if (!(await this.d.repo.updateConnection(this.stored(id, next), facts))) throw notFound('Camera', id);
    this.d.driver.forget(old);
    this.d.log.info({ cameraId: id, camera: describeAddress(next.address), fields: Object.keys(patch) }, 'camera connection changed');
    this.d.onChanged();
    return this.get(id);
  }

  async get(id: string): Promise<CameraView> {
    const c = await this.d.repo.get(id);
    if (!c) throw notFound('Camera', id);
    return { ...c, health: this.d.healthOf(id) ?? null };
  }

  async list(f: { groupId?: string; q?: string; limit: number; offset: number }): Promise<{ items: CameraView[]; total: number }> {
    const r = await this.d.repo.list(f);
    return { items: r.items.map((c) => ({ ...c, health: this.d.healthOf(c.id) ?? null })), total: r.total };
  }

  /** The decrypted connection of a registered camera (404 for anything else). */
  async connectionOf(id: string): Promise<CameraConnection & { hasPtz: boolean }> {
    const c = await this.d.repo.connection(id);
    if (!c) throw notFound('Camera', id);
    return { ...this.decrypted(c), hasPtz: c.hasPtz };
  }

  /** Ids of every registered camera, whether or not its password can be unsealed. */
  async registeredIds(): Promise<string[]> {
    return (await this.d.repo.connections()).map((c) => c.deviceId);
  }

  /** Every registered camera, for the health poller. A row whose password cannot be unsealed is skipped and logged. */
  async polledCameras(): Promise<PolledCamera[]> {
    const out: PolledCamera[] = [];
    for (const c of await this.d.repo.connections()) {
      try {
        out.push({ id: c.deviceId, connection: this.decrypted(c) });
      } catch (err) {
        this.d.log.error({ cameraId: c.deviceId, err }, 'camera password cannot be decrypted; not polling it');
      }
    }
    return out;
  }

  async discover(req: DiscoveryRequest): Promise<{ bindAddress: string; items: (DiscoveredCamera & { name: string | null; registeredAs: string | null })[] }> {
    const s = this.d.settings();
    const bindAddress = req.bindAddress ?? s.discoveryBindAddresses[0] ?? '127.0.0.1';
    if (!s.discoveryBindAddresses.includes(bindAddress)) {
      throw badRequest(
        'DISCOVERY_INTERFACE_NOT_ALLOWED',
        `Discovery may only probe from ${s.discoveryBindAddresses.join(', ')}; '${bindAddress}' is not configured`,
      );
    }
    if (req.targetAddress !== undefined && isIP(req.targetAddress) !== 4) {
      throw badRequest('DISCOVERY_BAD_TARGET', `Discovery target must be an IPv4 address, not '${req.targetAddress}'`);
    }
    const found = await discover({ bindAddress, targetAddress: req.targetAddress, port: req.port, timeoutMs: req.timeoutMs ?? s.discoveryTimeoutMs });
    const addresses = found.flatMap((f) => f.xaddrs.map(safeNormalise).filter((a): a is string => a !== null));
    const registered = await this.d.repo.devicesAt(addresses);
    const items = found.map((f) => ({
      ...f,
      name: nameFromScopes(f.scopes),
      registeredAs: f.xaddrs.map((x) => registered.get(safeNormalise(x) ?? '')).find((v) => v !== undefined) ?? null,
    }));
    return { bindAddress, items };
  }

  // ---- internals -----------------------------------------------------------------------------------------------------

  /** A camera address outside SW_NETWORKS_CAMERA is refused before anything connects to it. */
  private guarded(address: string): string {
    this.d.addressGuard?.checkHost(new URL(address).hostname);
    return address;
  }

  private connectionFrom(c: ConnectionInput): CameraConnection {
    return {
      address: this.guarded(normaliseAddress(c.address)),
      username: c.username,
      password: c.password,
      ...(c.profileToken ? { profileToken: c.profileToken } : {}),
    };
  }

  private async ensureAddressFree(address: string, self: string | null): Promise<void> {
    const owner = await this.d.repo.deviceAt(address);
    if (owner !== null && owner !== self) throw conflict('CAMERA_EXISTS', `The camera at ${describeAddress(address)} is already registered as '${owner}'`);
  }

  /** Proves the connection: reachable, speaks ONVIF, accepts the credentials, has the requested profile. */
  private async verify(conn: CameraConnection): Promise<ConnectionFacts> {
    const opts = { timeoutMs: this.d.settings().operatorCallTimeoutMs };
    try {
      try {
        await this.d.driver.probe(conn, opts);
      } catch (err) {
        // Some firmware wants auth even for GetSystemDateAndTime; the authenticated calls below decide.
        if (!isCameraError(err, CameraErrorCode.AUTH_FAILED) && !isCameraError(err, CameraErrorCode.REJECTED)) throw err;
      }
      const deviceInfo = await this.d.driver.getDeviceInfo(conn, opts);
      const profiles = await this.d.driver.getProfiles(conn, opts);
      const chosen = pickProfile(conn, profiles);
      return { deviceInfo, profiles, hasPtz: chosen.hasPtz, verifiedAt: new Date() };
    } catch (err) {
      this.d.driver.forget(conn);
      throw err;
    }
  }

  private stored(deviceId: string, c: CameraConnection): StoredConnection {
    return {
      deviceId,
      address: c.address,
      username: c.username,
      passwordSealed: encryptSecret(this.d.serviceKey, c.password),
      profileToken: c.profileToken ?? null,
    };
  }

  private decrypted(c: StoredConnection): CameraConnection {
    let password: string;
    try {
      password = decryptSecret(this.d.serviceKey, c.passwordSealed);
    } catch {
      throw new AppError(
        'CAMERA_SECRET_UNREADABLE',
        500,
        `The stored password of camera '${c.deviceId}' cannot be decrypted (was SW_SECRET_KEY changed?). Enter it again with PATCH /api/v1/cameras/${c.deviceId}/connection.`,
      );
    }
    return { address: c.address, username: c.username, password, ...(c.profileToken ? { profileToken: c.profileToken } : {}) };
  }
}

function pickProfile(conn: CameraConnection, profiles: MediaProfile[]): MediaProfile {
  const where = describeAddress(conn.address);
  if (!profiles.length) {
    throw cameraError(CameraErrorCode.BAD_RESPONSE, `Camera at ${where} reports no media profile; it cannot give snapshots.`, {
      address: where,
      operation: 'GetProfiles',
    });
  }
  if (conn.profileToken === undefined) return profiles[0]!;
  const p = profiles.find((x) => x.token === conn.profileToken);
  if (!p) {
    throw badRequest('CAMERA_UNKNOWN_PROFILE', `Camera at ${where} has no media profile '${conn.profileToken}'`, { available: profiles.map((x) => x.token) });
  }
  return p;
}

function safeNormalise(x: string): string | null {
  try {
    return normaliseAddress(x);
  } catch {
    return null;
  }
}

/** ONVIF Core §7.3.2.2: the name scope is onvif://www.onvif.org/name/<percent-encoded name>. */
function nameFromScopes(scopes: string[]): string | null {
  const prefix = 'onvif://www.onvif.org/name/';
  const s = scopes.find((x) => x.startsWith(prefix));
  if (!s) return null;
  try {
    return decodeURIComponent(s.slice(prefix.length));
  } catch {
    return s.slice(prefix.length);
  }
}

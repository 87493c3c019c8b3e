import { getKind, kindNames } from '../../devices/index.ts';
import { badRequest, conflict, notFound } from '../common/errors.ts';
import { hashDeviceSecret, randomSecret, verifyDeviceSecret } from '../common/crypto.ts';
import type { DeviceAuthenticator } from '../broker/broker.service.ts';
import { DEVICE_ID_RE } from '../broker/topics.ts';
import type { DeviceFilter, DevicePatch, DeviceRecord, DeviceRepository } from './device.repository.ts';

export interface ProvisionInput {
  id?: string;
  kind: string;
  name: string;
  wardCode?: string;
  groupId?: string | null;
  zoneIds?: string[];
  lat?: number | null;
  lon?: number | null;
  address?: string | null;
  asset?: Record<string, unknown>;
  tags?: string[];
  installedAt?: string | null;
}

export interface Credentials {
  clientId: string;
  username: string;
  password: string;
}

/** Device registry and credentials. Also the broker's authenticator. */
export class DeviceService implements DeviceAuthenticator {
  private readonly repo: DeviceRepository;
  private readonly key: Buffer;
  private readonly defaultWard: string;

  constructor(repo: DeviceRepository, serviceKey: Buffer, defaultWard: string) {
    this.repo = repo;
    this.key = serviceKey;
    this.defaultWard = defaultWard;
  }

  async verify(deviceId: string, secret: string): Promise<{ kind: string } | null> {
    const c = await this.repo.credentialOf(deviceId);
    if (!c || !verifyDeviceSecret(this.key, secret, c.secretHash)) return null;
    return { kind: c.kind };
  }

  list(f: DeviceFilter): Promise<{ items: DeviceRecord[]; total: number }> {
    return this.repo.list(f);
  }

  async get(id: string): Promise<DeviceRecord> {
    const d = await this.repo.get(id);
    if (!d) throw notFound('Device', id);
    return d;
  }

  private async checkZones(groupId: string | null | undefined, zoneIds: string[]): Promise<void> {
    const wanted = [...new Set([...(groupId ? [groupId] : []), ...zoneIds])];
    const found = new Set(await this.repo.existingZones(wanted));
    const missing = wanted.filter((z) => !found.has(z));
    if (missing.length) throw badRequest('UNKNOWN_ZONE', `zone(s) ${missing.join(', ')} do not exist`);
  }

  /** Registers a device and returns its MQTT credentials. The secret is shown here once and stored only hashed. */
  async provision(input: ProvisionInput): Promise<{ device: DeviceRecord; credentials: Credentials }> {
    const kind = getKind(input.kind);
    if (!kind) throw badRequest('UNKNOWN_KIND', `kind must be one of ${kindNames().join(', ')}`);
    const id = input.id ?? `${kind.idPrefix}-${randomSecret(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
    if (!DEVICE_ID_RE.test(id)) throw badRequest('BAD_DEVICE_ID', 'device id: 1–64 of a-z 0-9 . _ - starting with a letter or digit');
    if (await this.repo.get(id)) throw conflict('DEVICE_EXISTS', `Device '${id}' already exists`);
    await this.checkZones(input.groupId, input.zoneIds ?? []);
    const secret = randomSecret();
    const device = await this.repo.create(
      {
        id,
        kind: kind.name,
        name: input.name,
        wardCode: input.wardCode ?? this.defaultWard,
        groupId: input.groupId ?? null,
        lat: input.lat ?? null,
        lon: input.lon ?? null,
        address: input.address ?? null,
        asset: input.asset ?? {},
        tags: input.tags ?? [],
        installedAt: input.installedAt ?? null,
      },
      input.zoneIds ?? [],
      hashDeviceSecret(this.key, secret),
    );
    return { device, credentials: { clientId: id, username: id, password: secret } };
  }

  async update(id: string, patch: DevicePatch & { zoneIds?: string[] }): Promise<DeviceRecord> {
    const { zoneIds, ...rest } = patch;
    await this.checkZones(rest.groupId, zoneIds ?? []);
    const d = await this.repo.update(id, rest, zoneIds);
    if (!d) throw notFound('Device', id);
    return d;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repo.delete(id))) throw notFound('Device', id);
  }

  /** New secret; the old one stops working at the device's next CONNECT. */
  async rotate(id: string): Promise<Credentials> {
    const secret = randomSecret();
    if (!(await this.repo.setSecretHash(id, hashDeviceSecret(this.key, secret)))) throw notFound('Device', id);
    return { clientId: id, username: id, password: secret };
  }
}

import { getKind, kindNames } from '../../devices/index.ts';
import { badRequest, conflict, notFound } from '../common/errors.ts';
import { hashDeviceSecret, randomSecret, verifyDeviceSecret } from '../common/crypto.ts';
import type { DeviceAuthenticator } from '../broker/broker.service.ts';
import { DEVICE_ID_RE } from '../broker/topics.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { CredentialCache } from './credential-cache.ts';
import type { DeviceFilter, DevicePatch, DeviceRecord, DeviceRepository } from './device.repository.ts';
import type { WardService } from './ward.service.ts';

export interface DeviceServiceOptions {
  /** Verified credentials for database outages; none: every CONNECT needs the database. */
  credentialCache?: CredentialCache;
  metrics?: Metrics;
  log?: Logger;
}

/** A CONNECT must not hang on a database that does not answer: past this the cache decides. */
const CREDENTIAL_LOOKUP_TIMEOUT_MS = 3000;
const CACHE_METRIC = ['sw_auth_cache_total', 'Device CONNECTs decided from the credential cache while the database could not answer, by result'] as const;

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
  private readonly wards: Pick<WardService, 'resolve' | 'check'>;
  private readonly cache: CredentialCache;
  private readonly o: DeviceServiceOptions;
  private servingFromCache = false;
  private readonly revokedListeners: ((deviceId: string, reason: 'rotated' | 'deleted') => void)[] = [];

  constructor(repo: DeviceRepository, serviceKey: Buffer, wards: Pick<WardService, 'resolve' | 'check'>, opts: DeviceServiceOptions = {}) {
    this.repo = repo;
    this.key = serviceKey;
    this.wards = wards;
    this.cache = opts.credentialCache ?? new CredentialCache(0);
    this.o = opts;
  }

  /** The database decides when it answers; when it cannot, devices it verified before are checked against the cache. */
  async verify(deviceId: string, secret: string): Promise<{ kind: string } | null> {
    let c: Awaited<ReturnType<DeviceRepository['credentialOf']>>;
    const stamp = this.cache.stamp;
    try {
      c = await lookupWithin(this.repo.credentialOf(deviceId), CREDENTIAL_LOOKUP_TIMEOUT_MS);
    } catch (err) {
      return this.verifyFromCache(deviceId, secret, err as Error);
    }
    if (this.servingFromCache) {
      this.servingFromCache = false;
      this.o.log?.info('device credentials checked against the database again');
    }
    if (!c) {
      this.cache.forget(deviceId);
      return null;
    }
    if (!verifyDeviceSecret(this.key, secret, c.secretHash)) {
      // A wrong guess must not evict a device's entry; a hash that changed elsewhere (rotation by another process) does.
      if (this.cache.get(deviceId)?.secretHash !== c.secretHash) this.cache.forget(deviceId);
      return null;
    }
    this.cache.remember(deviceId, { kind: c.kind, secretHash: c.secretHash }, stamp);
    return { kind: c.kind };
  }

  private verifyFromCache(deviceId: string, secret: string, err: Error): { kind: string } | null {
    const hit = this.cache.get(deviceId);
    if (!this.servingFromCache) {
      this.servingFromCache = true;
      this.o.log?.warn({ err, cached: this.cache.size }, 'database cannot check device credentials: known devices are checked against the verified cache');
    }
    if (!hit) {
      this.o.metrics?.inc(CACHE_METRIC[0], CACHE_METRIC[1], { result: 'unknown' });
      throw err;
    }
    // The same constant-time comparison of HMACs as against the database.
    const ok = verifyDeviceSecret(this.key, secret, hit.secretHash);
    this.o.metrics?.inc(CACHE_METRIC[0], CACHE_METRIC[1], { result: ok ? 'accepted' : 'refused' });
    return ok ? { kind: hit.kind } : null;
  }

  /** Never serve this device from the cache again (until the database verifies it anew). */
  forgetCredentials(deviceId: string): void {
    this.cache.forget(deviceId);
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
    const id =
      input.id ??
      `${kind.idPrefix}-${randomSecret(6)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, 'x')}`;
    if (!DEVICE_ID_RE.test(id)) throw badRequest('BAD_DEVICE_ID', 'device id: 1–64 of a-z 0-9 . _ - starting with a letter or digit');
    if (await this.repo.get(id)) throw conflict('DEVICE_EXISTS', `Device '${id}' already exists`);
    await this.checkZones(input.groupId, input.zoneIds ?? []);
    const wardCode = await this.wards.resolve(input.wardCode);
    const secret = randomSecret();
    const device = await this.repo.create(
      {
        id,
        kind: kind.name,
        name: input.name,
        wardCode,
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
    // In the caller's ward scope (404 otherwise), and moving it only to a ward the caller has.
    await this.get(id);
    if (rest.wardCode !== undefined) await this.wards.check(rest.wardCode);
    await this.checkZones(rest.groupId, zoneIds ?? []);
    const d = await this.repo.update(id, rest, zoneIds);
    if (!d) throw notFound('Device', id);
    return d;
  }

  /** Called once a device's credentials stopped being valid (the broker ends its live session). */
  onRightsRevoked(fn: (deviceId: string, reason: 'rotated' | 'deleted') => void): void {
    this.revokedListeners.push(fn);
  }

  private revoked(id: string, reason: 'rotated' | 'deleted'): void {
    for (const fn of this.revokedListeners) {
      try {
        fn(id, reason);
      } catch (err) {
        this.o.log?.error({ err, deviceId: id }, 'rights-revoked listener failed');
      }
    }
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    this.cache.forget(id);
    const done = await this.repo.delete(id);
    this.cache.forget(id);
    if (!done) throw notFound('Device', id);
    this.revoked(id, 'deleted');
  }

  /** New secret; the old one stops working at once (the broker closes the live session through onRightsRevoked). */
  async rotate(id: string): Promise<Credentials> {
    await this.get(id);
    const secret = randomSecret();
    this.cache.forget(id);
    const done = await this.repo.setSecretHash(id, hashDeviceSecret(this.key, secret));
    // Again once committed: a lookup that read the old hash meanwhile must not have put it back.
    this.cache.forget(id);
    if (!done) throw notFound('Device', id);
    this.revoked(id, 'rotated');
    return { clientId: id, username: id, password: secret };
  }
}

function lookupWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`credential lookup took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

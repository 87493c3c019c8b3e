import { badRequest, conflict, notFound } from '../common/errors.ts';
import type { WardService } from './ward.service.ts';
import { checkParent } from './zone-rules.ts';
import type { ZoneKind, ZoneRecord, ZoneRepository } from './zone.repository.ts';

/**
 * Zones (residential groups, lighting and broadcast zones, areas) with their rules in one place (issue 16): the id is
 * free, the parent exists and is not the zone or one below it (on create and on edit alike), the ward is one the
 * caller may use, members are known devices. Routes only translate HTTP to these calls.
 */
export class ZoneService {
  constructor(
    private readonly zones: ZoneRepository,
    private readonly wards: Pick<WardService, 'resolve'>,
  ) {}

  list(filter: { kind?: string | undefined; wardCode?: string | undefined }): Promise<ZoneRecord[]> {
    return this.zones.list({ ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.wardCode ? { wardCode: filter.wardCode } : {}) });
  }

  async get(id: string): Promise<ZoneRecord> {
    const z = await this.zones.get(id);
    if (!z) throw notFound('Zone', id);
    return z;
  }

  async create(z: { id: string; name: string; kind: ZoneKind; wardCode?: string | undefined; parentId?: string | null | undefined }): Promise<ZoneRecord> {
    if (await this.zones.get(z.id)) throw conflict('ZONE_EXISTS', `Zone '${z.id}' already exists`);
    await checkParent(this.zones, z.id, z.parentId);
    return this.zones.create({ id: z.id, name: z.name, kind: z.kind, wardCode: await this.wards.resolve(z.wardCode), parentId: z.parentId ?? null });
  }

  async update(id: string, patch: { name?: string; parentId?: string | null }): Promise<ZoneRecord> {
    await this.get(id);
    await checkParent(this.zones, id, patch.parentId);
    const z = await this.zones.update(id, patch);
    if (!z) throw notFound('Zone', id);
    return z;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.zones.delete(id))) throw notFound('Zone', id);
  }

  /** Replaces the zone's members; every device must exist (and be visible to the caller). Returns the count set. */
  async setMembers(id: string, deviceIds: readonly string[]): Promise<{ zone: ZoneRecord; devices: number }> {
    await this.get(id);
    const ids = [...new Set(deviceIds)];
    const found = new Set(await this.zones.existingDevices(ids));
    const missing = ids.filter((d) => !found.has(d));
    if (missing.length) throw badRequest('UNKNOWN_DEVICE', `device(s) ${missing.slice(0, 20).join(', ')} do not exist`);
    await this.zones.setMembers(id, ids);
    return { zone: await this.get(id), devices: ids.length };
  }
}

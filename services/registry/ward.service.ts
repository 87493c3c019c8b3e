import { AppError, badRequest, notFound } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { requireWard, scopedWards } from '../auth/ward-scope.ts';
import type { WardRecord, WardRepository } from './ward.repository.ts';

/** The wards of a deployment (province tenancy, docs/scale.md): listing in scope, creation, membership, the default ward. */
export class WardService {
  private readonly repo: WardRepository;
  constructor(repo: WardRepository) {
    this.repo = repo;
  }

  /**
   * At start: the configured ward (SW_WARD_CODE) exists, and on the first start after migration 0090 every existing
   * user becomes its member, so a one-ward deployment works as before.
   */
  async start(ward: { code: string; name: string }, log: Logger): Promise<void> {
    await this.repo.ensure(ward.code, ward.name);
    const members = await this.repo.backfillMembers(ward.code);
    if (members) log.info({ module: 'registry', ward: ward.code, members }, 'existing users made members of the configured ward');
  }

  /** The wards the caller sees. */
  async list(): Promise<WardRecord[]> {
    return this.repo.list(scopedWards());
  }

  async get(code: string): Promise<WardRecord> {
    requireWard(code);
    const w = await this.repo.get(code);
    if (!w) throw notFound('Ward', code);
    return w;
  }

  async create(w: { code: string; name: string; provinceCode?: string | undefined }): Promise<WardRecord> {
    if (!(await this.repo.insert({ code: w.code, name: w.name, provinceCode: w.provinceCode ?? '' }))) throw new AppError('WARD_EXISTS', 409, `Ward ${w.code} already exists`);
    return (await this.repo.get(w.code)) as WardRecord;
  }

  async update(code: string, p: { name?: string | undefined; provinceCode?: string | undefined }): Promise<WardRecord> {
    if (!(await this.repo.update(code, p))) throw notFound('Ward', code);
    return (await this.repo.get(code)) as WardRecord;
  }

  /**
   * The ward a new device or zone goes to: the one given (it must exist and be in the caller's scope), else the only
   * ward the caller sees; with several, the caller must say which.
   */
  async resolve(given: string | undefined): Promise<string> {
    if (given !== undefined) {
      requireWard(given);
      if (!(await this.repo.get(given))) throw badRequest('UNKNOWN_WARD', `Ward ${given} does not exist: create it first (POST /api/v1/wards)`);
      return given;
    }
    const visible = scopedWards() ?? (await this.repo.codes());
    if (visible.length === 1) return visible[0] as string;
    throw badRequest('WARD_REQUIRED', `This deployment has ${visible.length} wards: say which one (wardCode)`);
  }

  /** A ward named by an update: it must exist and be in scope. */
  async check(code: string): Promise<void> {
    await this.resolve(code);
  }

  async membership(userId: string): Promise<{ province: boolean; wards: string[] }> {
    return (await this.repo.membership(userId)) ?? { province: false, wards: [] };
  }

  async setMembership(userId: string, m: { province: boolean; wards: string[] }): Promise<{ province: boolean; wards: string[] }> {
    const known = new Set(await this.repo.codes());
    const unknown = m.wards.filter((w) => !known.has(w));
    if (unknown.length) throw badRequest('UNKNOWN_WARD', `Unknown ward(s): ${unknown.join(', ')}`);
    await this.repo.setMembership(userId, { province: m.province, wards: [...new Set(m.wards)].sort() });
    return this.membership(userId);
  }
}

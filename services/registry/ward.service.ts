import { AppError, badRequest, notFound } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { requireWard, scopedWards } from '../auth/ward-scope.ts';
import type { WardRecord, WardRepository } from './ward.repository.ts';

/** Whose report: one ward, or the province aggregate over several (docs/scale.md "Province tenancy"). */
export interface ReportScope {
  kind: 'ward' | 'province';
  /** The ward's code, or the province's (mã tỉnh; 'province' when not known). */
  code: string;
  name: string;
  wards: { code: string; name: string }[];
  /** The scope holds every ward of the deployment (the province, or a deployment of one ward). */
  everyWard: boolean;
}

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

  /** Whether a ward exists, whoever asks. */
  async exists(code: string): Promise<boolean> {
    return (await this.repo.get(code)) !== null;
  }

  /** Ids of every device of these wards (the live stream's filter). */
  async deviceIds(wards: readonly string[]): Promise<Set<string>> {
    return new Set(await this.repo.deviceIds(wards));
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
    if (!(await this.repo.insert({ code: w.code, name: w.name, provinceCode: w.provinceCode ?? '' })))
      throw new AppError('WARD_EXISTS', 409, `Ward ${w.code} already exists`);
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

  /**
   * Whose report a request asks for (province tenancy): `ward` names one (403 outside the caller's scope, 404 unknown);
   * `province` asks for the aggregate of every ward (province-wide callers only); neither: the configured ward when the
   * caller sees it, else the caller's only ward.
   */
  async reportScope(q: { ward?: string | undefined; province?: boolean | undefined }, configured: string): Promise<ReportScope> {
    if (q.province) {
      if (scopedWards()) throw new AppError('WARD_FORBIDDEN', 403, 'The province report needs a province-wide account (admin, or a user with province scope)');
      const all = await this.repo.list(null);
      const province = all.find((w) => w.provinceCode)?.provinceCode ?? '';
      return {
        kind: 'province',
        code: province || 'province',
        name: province ? `Tỉnh (mã ${province})` : 'Toàn tỉnh',
        wards: all.map((w) => ({ code: w.code, name: w.name })),
        everyWard: true,
      };
    }
    const scope = scopedWards();
    const code = q.ward ?? (scope === null || scope.includes(configured) ? configured : scope.length === 1 ? scope[0] : undefined);
    if (code === undefined) throw badRequest('WARD_REQUIRED', `You see ${scope?.length ?? 0} wards: say which one (ward=…)`);
    const w = await this.get(code);
    return { kind: 'ward', code: w.code, name: w.name, wards: [{ code: w.code, name: w.name }], everyWard: (await this.repo.codes()).length === 1 };
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

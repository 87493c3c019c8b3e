import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config/config.ts';
import type { FeatureModule, ModuleContext } from '../../modules/module.ts';
import { SHARED } from '../health.module.ts';
import { IndicatorsRepository } from './indicators.repository.ts';
import { IndicatorsService, type ReportScope } from './indicators.service.ts';
import type { WardService } from '../../registry/ward.service.ts';
import { PdfRenderer } from './pdf-renderer.ts';
import { reportCsv, reportHtml, type CsvDialect, type Lang, type OfficialHeader } from './report-render.ts';
import { TargetsRepository } from './targets.repository.ts';
import { targetRoutes } from './targets.routes.ts';
import { TargetsService } from './targets.service.ts';
import { replies } from '../../api/schemas/common.ts';
import { IndicatorReport } from '../../api/schemas/indicators.ts';

declare module '../../modules/shared-registry.ts' {
  interface SharedServices {
    indicators: IndicatorsService;
  }
}

/** The report in the format asked for: JSON (the same body as GET /indicators), CSV, print-view HTML or PDF. */
const ReportFormats = {
  description: 'The report: JSON, CSV (?csv= dialect), the print view (HTML) or PDF, by ?format=',
  content: {
    'application/json': { schema: IndicatorReport as unknown },
    'text/csv': { schema: Type.String() as unknown },
    'text/html': { schema: Type.String() as unknown },
    'application/pdf': { schema: Type.String({ format: 'binary' }) as unknown },
  },
};

type ReportsConfig = Config['reports'];

export interface IndicatorsModuleOptions {
  chromiumPath: string;
  pdfTimeoutMs: number;
  remoteControlDays: number;
  servedAvailability: number;
  official: ReportsConfig['official'];
  halfYearCutoff: ReportsConfig['halfYearCutoff'];
  clock?: () => number;
}

export const INDICATOR_DEFAULTS: IndicatorsModuleOptions = {
  chromiumPath: '/usr/bin/chromium',
  pdfTimeoutMs: 60_000,
  remoteControlDays: 7,
  servedAvailability: 90,
  halfYearCutoff: null,
  official: {
    parentBody: 'Ủy ban nhân dân phường',
    issuer: 'Phòng Kinh tế, Hạ tầng và Đô thị',
    issuerAbbr: 'KTHTĐT',
    place: 'Phường',
    signerTitle: ['TRƯỞNG PHÒNG'],
    signerName: '',
    recipients: ['Lưu: VT'],
  },
};

const Query = Type.Object(
  {
    period: Type.String({ pattern: '^\\d{4}(-(0[1-9]|1[0-2]|H[12]))?$', description: 'YYYY-MM, YYYY-H1 (25/12–29/06), YYYY-H2 (30/06–24/12) or YYYY' }),
    asOf: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description:
          "Cut-off: count data up to the end of this local day (inside the period). Default: SW_REPORT_HALF_YEAR_CUTOFF for half-years, else the period's last day.",
      }),
    ),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html'), Type.Literal('pdf')])),
    lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
    csv: Type.Optional(
      Type.Union([Type.Literal('excel-vi'), Type.Literal('rfc4180')], {
        description:
          'CSV dialect: excel-vi (default; semicolons, decimal commas, UTF-8 BOM: opens in columns in Excel with Vietnamese settings) or rfc4180 (commas, decimal points, for scripts)',
      }),
    ),
    ward: Type.Optional(Type.String({ pattern: '^\\d{5}$', description: "The ward (mã ĐVHC); default: the configured ward, or the caller's only ward" })),
    scope: Type.Optional(
      Type.Union([Type.Literal('ward'), Type.Literal('province')], {
        description: 'province: every ward of the deployment together (province-wide accounts only)',
      }),
    ),
    number: Type.Optional(
      Type.String({
        maxLength: 20,
        pattern: '^[0-9A-Za-z./-]*$',
        description: 'Document number for "Số: <number>/BC-…" (blank: left for the registry to fill in)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The ward plan's indicators and the printable report (needs the health module for uptime). */
export class IndicatorsModule implements FeatureModule {
  readonly name = 'indicators';
  options: IndicatorsModuleOptions;
  private readonly given: Partial<IndicatorsModuleOptions>;
  service!: IndicatorsService;
  targets!: TargetsService;
  private timezone = 'Asia/Ho_Chi_Minh';
  private wards!: WardService;
  private configuredWard = '';
  pdf!: PdfRenderer;

  /** Options given here win over the configuration (SW_* keys), which wins over the defaults. */
  constructor(options: Partial<IndicatorsModuleOptions> = {}) {
    this.given = options;
    this.options = { ...INDICATOR_DEFAULTS, ...options };
  }

  async init(ctx: ModuleContext): Promise<void> {
    this.options = { ...INDICATOR_DEFAULTS, ...(ctx.config as Partial<typeof ctx.config>).reports, ...this.given };
    const uptime = ctx.shared.get(SHARED.uptime);
    if (!uptime) throw new Error('the indicators module needs the health module (register HealthModule before IndicatorsModule)');
    this.targets = new TargetsService(
      new TargetsRepository(ctx.db),
      ctx.config.ward.code,
      async (ward) => (await ctx.wards.reportScope({ ward }, ctx.config.ward.code)).code,
    );
    this.service = new IndicatorsService({
      repo: new IndicatorsRepository(ctx.db),
      uptime,
      ward: ctx.config.ward,
      targets: this.targets,
      remoteControlDays: this.options.remoteControlDays,
      servedAvailability: this.options.servedAvailability,
      halfYearCutoff: this.options.halfYearCutoff,
      usersSource: (name) => ctx.shared.lookup(name) as ReturnType<NonNullable<ConstructorParameters<typeof IndicatorsService>[0]['usersSource']>>,
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
    this.timezone = ctx.config.ward.timezone;
    this.wards = ctx.wards;
    this.configuredWard = ctx.config.ward.code;
    this.pdf = new PdfRenderer({ chromiumPath: this.options.chromiumPath, timeoutMs: this.options.pdfTimeoutMs });
    // First start of a ward the plans in /work/shared/seeds are about: its targets from the plan (plan-seeds.ts).
    const seeded = await this.targets.seedFromPlan(ctx.config.ward.name);
    if (seeded) ctx.log.info({ module: 'indicators', ward: ctx.config.ward.code, targets: seeded }, 'plan targets seeded from the ward plan');
    ctx.shared.set('indicators', this.service);
  }

  /** Province tenancy: the ward (or province) a report request is about, checked against the caller's scope. */
  private scopeOf(q: { ward?: string | undefined; scope?: 'ward' | 'province' | undefined }): Promise<ReportScope> {
    return this.wards.reportScope({ ward: q.ward, province: q.scope === 'province' }, this.configuredWard);
  }

  private header(): OfficialHeader {
    return { ...this.options.official, timeZone: this.timezone };
  }

  routes(): FastifyPluginAsync {
    return async (base) => {
      const app = base.withTypeProvider<TypeBoxTypeProvider>();
      app.get(
        '/indicators',
        { config: { role: 'viewer' }, schema: { tags: ['indicators'], querystring: Query, response: replies({ 200: IndicatorReport }) } },
        async (req) => this.service.compute(req.query.period, { asOf: req.query.asOf, scope: await this.scopeOf(req.query) }),
      );
      app.get(
        '/reports/indicators',
        { config: { role: 'viewer' }, schema: { tags: ['indicators'], querystring: Query, response: replies({ 200: ReportFormats }) } },
        async (req, reply) => {
          const r = await this.service.compute(req.query.period, { asOf: req.query.asOf, scope: await this.scopeOf(req.query) });
          const lang: Lang = req.query.lang ?? 'vi';
          const file = `bao-cao-${r.ward.code}-${r.period.code}`;
          const header = { ...this.header(), number: req.query.number ?? '' };
          switch (req.query.format ?? 'json') {
            case 'json':
              return r;
            case 'csv': {
              const dialect: CsvDialect = req.query.csv ?? 'excel-vi';
              return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(reportCsv(r, dialect));
            }
            case 'html':
              return reply
                .type('text/html; charset=utf-8')
                .header(
                  'content-security-policy',
                  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
                )
                .send(reportHtml(r, lang, header));
            case 'pdf':
              return reply
                .type('application/pdf')
                .header('content-disposition', `attachment; filename="${file}.pdf"`)
                .send(await this.pdf.render(reportHtml(r, lang, header)));
          }
        },
      );
      await app.register(targetRoutes(this.targets));
    };
  }
}

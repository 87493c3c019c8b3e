import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FeatureModule, ModuleContext } from '../../modules/module.ts';
import { SHARED } from '../health.module.ts';
import type { UptimeService } from '../uptime/uptime.service.ts';
import { IndicatorsRepository } from './indicators.repository.ts';
import { IndicatorsService } from './indicators.service.ts';
import { PdfRenderer } from './pdf-renderer.ts';
import { reportCsv, reportHtml, type Lang } from './report-render.ts';

export interface IndicatorsModuleOptions {
  chromiumPath: string;
  pdfTimeoutMs: number;
  remoteControlDays: number;
  servedAvailability: number;
  clock?: () => number;
}

export const INDICATOR_DEFAULTS: IndicatorsModuleOptions = { chromiumPath: '/usr/bin/chromium', pdfTimeoutMs: 60_000, remoteControlDays: 7, servedAvailability: 90 };

const Query = Type.Object(
  {
    period: Type.String({ pattern: '^\\d{4}(-(0[1-9]|1[0-2]|H[12]))?$', description: 'YYYY-MM, YYYY-H1 (25/12–29/06), YYYY-H2 (30/06–24/12) or YYYY' }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('html'), Type.Literal('pdf')])),
    lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
  },
  { additionalProperties: false },
);

/** The ward plan's indicators and the printable report (needs the health module for uptime). */
export class IndicatorsModule implements FeatureModule {
  readonly name = 'indicators';
  options: IndicatorsModuleOptions;
  private readonly given: Partial<IndicatorsModuleOptions>;
  service!: IndicatorsService;
  private timezone = 'Asia/Ho_Chi_Minh';
  pdf!: PdfRenderer;

  /** Options given here win over the configuration (SW_* keys), which wins over the defaults. */
  constructor(options: Partial<IndicatorsModuleOptions> = {}) {
    this.given = options;
    this.options = { ...INDICATOR_DEFAULTS, ...options };
  }

  async init(ctx: ModuleContext): Promise<void> {
    this.options = { ...INDICATOR_DEFAULTS, ...(ctx.config as Partial<typeof ctx.config>).reports, ...this.given };
    const uptime = ctx.shared.get(SHARED.uptime) as UptimeService | undefined;
    if (!uptime) throw new Error('the indicators module needs the health module (register HealthModule before IndicatorsModule)');
    this.service = new IndicatorsService({
      repo: new IndicatorsRepository(ctx.db), uptime, ward: ctx.config.ward,
      remoteControlDays: this.options.remoteControlDays, servedAvailability: this.options.servedAvailability,
      usersSource: (name) => ctx.shared.get(name) as ReturnType<NonNullable<ConstructorParameters<typeof IndicatorsService>[0]['usersSource']>>,
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
    this.timezone = ctx.config.ward.timezone;
    this.pdf = new PdfRenderer({ chromiumPath: this.options.chromiumPath, timeoutMs: this.options.pdfTimeoutMs });
    ctx.shared.set('indicators', this.service);
  }

  routes(): FastifyPluginAsync {
    return async (base) => {
      const app = base.withTypeProvider<TypeBoxTypeProvider>();
      app.get('/indicators', { config: { role: 'viewer' }, schema: { tags: ['indicators'], querystring: Query } }, async (req) => this.service.compute(req.query.period));
      app.get('/reports/indicators', { config: { role: 'viewer' }, schema: { tags: ['indicators'], querystring: Query } }, async (req, reply) => {
        const r = await this.service.compute(req.query.period);
        const lang: Lang = req.query.lang ?? 'vi';
        const file = `bao-cao-${r.ward.code}-${r.period.code}`;
        switch (req.query.format ?? 'json') {
          case 'json':
            return r;
          case 'csv':
            return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(reportCsv(r));
          case 'html':
            return reply.type('text/html; charset=utf-8').send(reportHtml(r, lang, this.timezone));
          case 'pdf':
            return reply.type('application/pdf').header('content-disposition', `attachment; filename="${file}.pdf"`).send(await this.pdf.render(reportHtml(r, lang, this.timezone)));
        }
      });
    };
  }
}

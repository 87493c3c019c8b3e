import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { formatDuration } from '../../format.ts';
import { getLang, t } from '../../i18n.ts';
import { formMsg } from '../../ui/forms.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable, panel } from '../../ui/table.ts';
import type { ConsentVersion, LoginSummary, Retention } from './model.ts';
import './words.ts';

/** A word for an API value when there is one ('sms' → "Tin nhắn SMS"), else the value as it is. */
const word = (prefix: string, v: string): string => {
  const k = `wf.${prefix}_${v}`;
  const s = t(k);
  return s === k ? v : s;
};
const kpi = (k: string, v: string, id: string): HTMLElement =>
  h('div', { class: 'kpi', 'data-kpi': id }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));

/** Portal logins of the period counted by consent version, method, purpose and language; the published consent texts. */
export function consentPanel(alive: () => boolean): { el: HTMLElement; load: (p: { from: Date; to: Date }) => Promise<void> } {
  const body = h('div', { id: 'wf-logins-body' }, h('p', {}, t('loading')));
  const versions = h('div', { id: 'wf-versions' });
  const el = panel('wf-logins', t('wf.logins'), body, h('h3', {}, t('wf.versions')), versions);
  const load = async (p: { from: Date; to: Date }): Promise<void> => {
    try {
      const [s, v] = await Promise.all([
        api.get<LoginSummary>(`/api/v1/wifi/portal-logins/summary?from=${p.from.toISOString()}&to=${p.to.toISOString()}`),
        api.get<{ items: ConsentVersion[] }>('/api/v1/wifi/consent-versions'),
      ]);
      if (!alive()) return;
      const count = <T>(rows: T[], head: string, cell: (r: T) => string, id: string, attrs?: (r: T) => Record<string, string | number>): HTMLElement =>
        rows.length
          ? dataTable(
              rows,
              [
                { head, cell },
                { head: t('wf.loginCount'), class: 'num', cell: (r) => String((r as { logins: number }).logins) },
              ],
              { id, ...(attrs ? { rowAttrs: attrs } : {}) },
            )
          : h('p', { class: 'muted' }, t('noData'));
      body.replaceChildren(
        h(
          'div',
          { class: 'kpis' },
          kpi(t('wf.loginCount'), String(s.logins), 'logins'),
          kpi(t('wf.distinctClients'), String(s.distinctClients), 'clients'),
          kpi(t('wf.withPhone'), String(s.withPhone), 'phones'),
        ),
        h(
          'div',
          { class: 'two' },
          h(
            'div',
            {},
            h('h3', {}, t('wf.consentVersion')),
            s.byConsentVersion.length
              ? dataTable(
                  s.byConsentVersion,
                  [
                    { head: t('wf.consentVersion'), cell: (r) => r.version },
                    {
                      head: t('status'),
                      cell: (r) => h('span', { class: `badge ${r.known ? 'ok' : 'error'}` }, r.known ? t('wf.published') : t('wf.notPublished')),
                    },
                    { head: t('wf.loginCount'), class: 'num', cell: (r) => String(r.logins) },
                  ],
                  { id: 'wf-consent-table', rowAttrs: (r) => ({ 'data-version': r.version, 'data-logins': r.logins }) },
                )
              : h('p', { class: 'muted' }, t('noData')),
          ),
          h(
            'div',
            {},
            h('h3', {}, t('wf.purpose')),
            count(
              s.byPurpose,
              t('wf.purpose'),
              (r) => word('p', r.purpose),
              'wf-purpose-table',
              (r) => ({ 'data-purpose': r.purpose, 'data-logins': r.logins }),
            ),
          ),
        ),
        h(
          'div',
          { class: 'two' },
          h(
            'div',
            {},
            h('h3', {}, t('wf.method')),
            count(
              s.byMethod,
              t('wf.method'),
              (r) => word('m', r.method),
              'wf-method-table',
              (r) => ({ 'data-method': r.method, 'data-logins': r.logins }),
            ),
          ),
          h(
            'div',
            {},
            h('h3', {}, t('wf.language')),
            count(s.byLanguage, t('wf.language'), (r) => word('l', r.language), 'wf-language-table'),
          ),
        ),
      );
      versions.replaceChildren(
        v.items.length
          ? dataTable(v.items, [
              { head: t('wf.consentVersion'), cell: (x) => x.version },
              { head: t('wf.purposes'), cell: (x) => x.purposes.map((p) => word('p', p)).join(', ') },
              { head: t('wf.publishedAt'), cell: (x) => fmtTime(x.publishedAt) },
            ])
          : h('p', { class: 'muted' }, t('wf.noVersions')),
      );
    } catch (err) {
      if (alive()) body.replaceChildren(h('p', { class: 'error' }, errorText(err)));
    }
  };
  return { el, load };
}

/** The retention in force (Decree 13/2023), and the administrator's "remove expired data now". */
export function retentionPanel(alive: () => boolean, changed: () => void): { el: HTMLElement; load: () => Promise<void> } {
  const text = h('p', { id: 'wf-retention-text' }, t('loading'));
  const msg = formMsg('wf-retention-msg');
  const run = gated(h('button', { type: 'button', id: 'wf-retention-run' }, t('wf.runRetention')), 'admin');
  run.addEventListener('click', () => {
    run.disabled = true;
    msg.busy(t('loading'));
    api
      .request<{ sessions: number; logins: number; events: number }>('POST', '/api/v1/wifi/retention/run')
      .then(
        (r) => {
          msg.ok(`${t('wf.purged')}: ${r.sessions} ${t('wf.purgedRows').replace('{l}', String(r.logins)).replace('{e}', String(r.events))}`);
          changed();
        },
        (err) => msg.error(errorText(err)),
      )
      .finally(() => void (run.disabled = false));
  });
  const el = panel('wf-retention', t('wf.retention'), text, h('div', { class: 'filters' }, run), msg.el);
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<Retention>('/api/v1/wifi/retention');
      if (!alive()) return;
      text.setAttribute('data-days', String(r.personalRetentionDays));
      text.textContent = `${t('wf.retentionText')} ${r.personalRetentionDays} ${t('wf.days')}; ${t('wf.rawText')} ${r.rawEventKeepDays} ${t('wf.days')}; ${t('wf.every')} ${formatDuration(r.intervalMs, getLang())} (${t('wf.decree')}).`;
    } catch (err) {
      if (alive()) text.textContent = errorText(err);
    }
  };
  return { el, load };
}

import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { formatDuration } from '../../format.ts';
import { getLang, t } from '../../i18n.ts';
import { formMsg } from '../../ui/forms.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable, panel } from '../../ui/table.ts';
import './words.ts';

interface Backlog {
  enabled: boolean;
  pending?: number;
  delivered?: number;
  rejected?: number;
  superseded?: number;
  oldestPendingAt?: string | null;
  nextAttemptAt?: string | null;
  lastError?: string | null;
  upstream?: string;
  failing?: boolean;
}
interface Message {
  id: string;
  entityId: string;
  entityType: string;
  status: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

const STATUSES = ['pending', 'delivered', 'rejected', 'superseded'];
export const typeWord = (type: string): string => {
  const k = `pv.t_${type}`;
  return t(k) === k ? type : t(k);
};
/** The ward's part of an NGSI-LD id (urn:ngsi-ld:<Type>:<ward>:<id> → <id>). */
const shortId = (entityId: string): string => entityId.split(':').slice(4).join(':') || entityId;
const kpi = (k: string, v: string, id: string, cls = ''): HTMLElement =>
  h('div', { class: `kpi ${cls}`.trim(), 'data-kpi': id }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));

/** The outbox's backlog (what waits, since when, the next attempt, the last error), recent messages, and the admin's actions. */
export function outboxPanel(alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const summary = h('div', { id: 'pv-backlog' }, h('p', {}, t('loading')));
  const msg = formMsg('pv-outbox-msg');
  const retry = gated(h('button', { type: 'button', id: 'pv-retry', class: 'primary' }, t('pv.retryNow')), 'admin');
  const exportNow = gated(h('button', { type: 'button', id: 'pv-export' }, t('pv.exportNow')), 'admin');
  const status = h(
    'select',
    { id: 'pv-msg-status' },
    h('option', { value: '' }, t('all')),
    STATUSES.map((s) => h('option', { value: s }, t(`pv.st_${s}`))),
  );
  const list = h('div', { id: 'pv-messages' });
  const el = h(
    'div',
    {},
    panel('pv-outbox', t('pv.outbox'), summary, h('div', { class: 'filters' }, retry, exportNow), msg.el),
    panel('pv-recent', t('pv.messages'), h('div', { class: 'filters' }, h('label', {}, t('status'), status)), list),
  );

  const loadMessages = async (): Promise<void> => {
    const r = await api.get<{ items: Message[] }>(`/api/v1/province/outbox/messages?limit=25${status.value ? `&status=${status.value}` : ''}`);
    if (!alive()) return;
    list.replaceChildren(
      r.items.length
        ? dataTable(
            r.items,
            [
              { head: t('pv.type'), cell: (m) => typeWord(m.entityType) },
              { head: t('pv.entity'), class: 'wrap', cell: (m) => h('span', { title: m.entityId }, shortId(m.entityId)) },
              {
                head: t('status'),
                cell: (m) =>
                  h(
                    'span',
                    { class: `badge ${m.status === 'delivered' ? 'ok' : m.status === 'rejected' ? 'error' : m.status === 'pending' ? 'queued' : ''}` },
                    t(`pv.st_${m.status}`),
                  ),
              },
              { head: t('pv.attempts'), class: 'num', cell: (m) => String(m.attempts) },
              { head: t('pv.created'), cell: (m) => fmtTime(m.createdAt) },
              { head: `${t('pv.deliveredAt')} / ${t('pv.nextRetry')}`, cell: (m) => fmtTime(m.deliveredAt ?? m.nextAttemptAt) },
              { head: t('pv.lastError'), class: 'wrap', cell: (m) => m.lastError ?? '' },
            ],
            { id: 'pv-message-table', rowAttrs: (m) => ({ 'data-type': m.entityType, 'data-status': m.status }) },
          )
        : h('p', { class: 'muted' }, t('noData')),
    );
  };

  const load = async (): Promise<void> => {
    let b: Backlog;
    try {
      b = await api.get<Backlog>('/api/v1/province/outbox');
    } catch (err) {
      if (alive()) summary.replaceChildren(h('p', { class: 'error' }, errorText(err)));
      return;
    }
    if (!alive()) return;
    if (!b.enabled) {
      summary.replaceChildren(h('p', { class: 'muted', id: 'pv-disabled' }, t('pv.disabled')));
      retry.disabled = true;
      exportNow.disabled = true;
      list.replaceChildren();
      return;
    }
    const now = Date.now();
    summary.replaceChildren(
      h(
        'div',
        { class: 'kpis' },
        kpi(t('pv.pending'), String(b.pending ?? 0), 'pending'),
        kpi(t('pv.delivered'), String(b.delivered ?? 0), 'delivered'),
        kpi(t('pv.rejected'), String(b.rejected ?? 0), 'rejected', b.rejected ? 'bad' : ''),
        kpi(t('pv.superseded'), String(b.superseded ?? 0), 'superseded'),
      ),
      h(
        'dl',
        { class: 'kv' },
        h('dt', {}, t('pv.upstream')),
        h('dd', { id: 'pv-upstream' }, b.upstream ?? '—'),
        h('dt', {}, t('pv.state')),
        h(
          'dd',
          {},
          h(
            'span',
            { id: 'pv-state', 'data-failing': String(b.failing === true), class: `badge ${b.failing ? 'error' : 'ok'}` },
            b.failing ? t('pv.failing') : t('pv.taking'),
          ),
        ),
        h('dt', {}, t('pv.oldest')),
        h(
          'dd',
          { id: 'pv-oldest' },
          b.oldestPendingAt ? `${fmtTime(b.oldestPendingAt)} (${formatDuration(now - Date.parse(b.oldestPendingAt), getLang())} ${t('pv.ago')})` : t('pv.none'),
        ),
        h('dt', {}, t('pv.nextRetry')),
        h('dd', { id: 'pv-next' }, b.nextAttemptAt ? fmtTime(b.nextAttemptAt) : t('pv.none')),
        h('dt', {}, t('pv.lastError')),
        h('dd', { id: 'pv-last-error', class: b.lastError ? 'error' : 'muted' }, b.lastError ?? t('pv.none')),
      ),
    );
    await loadMessages().catch((err: unknown) => alive() && list.replaceChildren(h('p', { class: 'error' }, errorText(err))));
  };

  const act = (btn: HTMLButtonElement, url: string, done: (r: Record<string, number>) => string): void => {
    btn.disabled = true;
    msg.busy(t('loading'));
    api
      .request<Record<string, number>>('POST', url)
      .then(
        async (r) => {
          msg.ok(done(r));
          await load();
        },
        (err) => msg.error(errorText(err)),
      )
      .finally(() => void (btn.disabled = false));
  };
  retry.addEventListener('click', () =>
    act(retry, '/api/v1/province/outbox/retry', (r) => `${t('pv.rescheduled')}: ${r.rescheduled ?? 0} ${t('pv.messagesWord')}`),
  );
  exportNow.addEventListener('click', () =>
    act(
      exportNow,
      '/api/v1/province/export/run',
      (r) =>
        `${t('pv.exported')}: ${r.devices ?? 0} ${t('pv.devicesWord')}, ${r.indicators ?? 0} ${t('pv.indicatorsWord')}, ${r.enqueued ?? 0} ${t('pv.enqueuedWord')}`,
    ),
  );
  status.addEventListener('change', () => void loadMessages().catch(() => undefined));
  return { el, load };
}

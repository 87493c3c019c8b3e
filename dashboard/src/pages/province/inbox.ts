import { api } from '../../api.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { gated } from '../../ui/gated.ts';
import { errorText, toast } from '../../ui/notice.ts';
import { panel } from '../../ui/table.ts';
import './words.ts';

interface Bulletin {
  id: string;
  broadcastId: string;
  priority: 'normal' | 'priority' | 'emergency';
  title: string;
  status: 'awaiting_operator' | 'dispatched' | 'scheduled' | 'declined';
  receivedAt: string;
  receivedFrom: string;
  decidedBy: string | null;
  decidedAt: string | null;
  note: string | null;
  zoneIds: string[];
  clusterIds: string[];
}
interface AirReport {
  summary: { clusters: number; airedFully: number; preempted: number; failed: number };
  clusters: { clusterId: string; playLogs: { start: string | null; end: string | null; result: string | null }[] }[];
}
interface PlayLogMessage {
  status: string;
  playLog?: { device: string | null; result: string | null };
}
interface Preemption {
  broadcastId: string | null;
  byBroadcastId: string;
  clusterId: string;
}

/** How many bulletins get their airing and reporting looked up (the most recent first). */
const DETAILED = 20;
const clusterName = (id: string): string => fleet.devices.get(id)?.name ?? id;
const resultWord = (r: string | null): string => (r ? (t(`pv.res_${r}`) === `pv.res_${r}` ? r : t(`pv.res_${r}`)) : '—');

/** What a bulletin did here: aired / interrupted per cluster, ward bulletins it preempted, and play logs reported back. */
async function airing(b: Bulletin): Promise<{ aired: HTMLElement; reported: HTMLElement }> {
  if (b.status === 'awaiting_operator' || b.status === 'declined')
    return { aired: h('span', { class: 'muted' }, '—'), reported: h('span', { class: 'muted' }, '—') };
  const from = new Date(Date.parse(b.receivedAt) - 60_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const [rep, logs, pre] = await Promise.all([
    api.get<AirReport>(`/api/v1/radio/broadcasts/${encodeURIComponent(b.broadcastId)}`).catch(() => null),
    api
      .get<{ items: PlayLogMessage[] }>(`/api/v1/province/outbox/messages?type=BroadcastPlayLog&broadcast=${encodeURIComponent(b.id)}&limit=1000`)
      .catch(() => ({ items: [] })),
    api
      .get<{ items: Preemption[] }>(`/api/v1/radio/preemptions?broadcast=${encodeURIComponent(b.broadcastId)}&from=${from}&to=${to}`)
      .catch(() => ({ items: [] })),
  ]);
  const s = rep?.summary;
  // The same play log may be in the outbox more than once (a later content superseded an earlier one): count each cluster once.
  const sent = new Set(logs.items.filter((m) => m.status === 'delivered').map((m) => `${m.playLog?.device}|${m.playLog?.result}`));
  const waiting = logs.items.filter((m) => m.status === 'pending').length;
  const preempted = new Set(pre.items.filter((p) => p.byBroadcastId === b.broadcastId).map((p) => `${p.clusterId}|${p.broadcastId}`)).size;
  const aired = h(
    'div',
    { 'data-aired': s?.airedFully ?? 0, 'data-interrupted': s?.preempted ?? 0, 'data-preempted-ward': preempted },
    s ? `${s.airedFully}/${s.clusters} ${t('pv.clustersWord')} ${t('pv.airedFully')}` : '—',
    s?.preempted ? ` · ${s.preempted} ${t('pv.interrupted')}` : '',
    s?.failed ? ` · ${s.failed} ${t('pv.failed')}` : '',
    preempted ? h('div', { class: 'small' }, `${preempted} ${t('pv.preemptedWard')}`) : null,
    rep?.clusters.some((c) => c.playLogs.length)
      ? h(
          'details',
          {},
          h('summary', {}, t('pv.playLogs')),
          h(
            'ul',
            { class: 'small' },
            rep.clusters.flatMap((c) =>
              c.playLogs.map((l) =>
                h(
                  'li',
                  { 'data-cluster': c.clusterId, 'data-result': l.result ?? '' },
                  `${clusterName(c.clusterId)}: ${fmtTime(l.start)} – ${fmtTime(l.end)} · ${resultWord(l.result)}`,
                ),
              ),
            ),
          ),
        )
      : null,
  );
  const reported = h(
    'div',
    { 'data-reported': sent.size, 'data-waiting': waiting },
    `${sent.size} ${t('pv.reportedOf')}`,
    waiting ? h('div', { class: 'small' }, `${waiting} ${t('pv.waiting')}`) : null,
  );
  return { aired, reported };
}

/** Bulletins the province sent in: priority in the words of Circular 39/2020, what the ward did, what aired, what went back up. */
export function inboxPanel(alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const body = h('div', { id: 'pv-inbox-body' }, h('p', {}, t('loading')));
  const el = panel('pv-inbox', t('pv.inbox'), body);

  const decide = (b: Bulletin, accept: boolean, note: HTMLInputElement): void => {
    api
      .request('POST', `/api/v1/province/inbox/${encodeURIComponent(b.id)}/decision`, { accept, ...(note.value.trim() ? { note: note.value.trim() } : {}) })
      .then(
        async () => {
          toast(t('pv.decided'));
          await load();
        },
        (err) => toast(errorText(err), 'error'),
      );
  };

  const row = (b: Bulletin, detail: { aired: HTMLElement; reported: HTMLElement } | null): HTMLElement => {
    const note = h('input', { placeholder: t('pv.note'), maxlength: 1000, class: 'pv-note' });
    const actions =
      b.status === 'awaiting_operator'
        ? gated(
            h(
              'div',
              { class: 'inline-form pv-decide' },
              note,
              h('button', { type: 'button', class: 'primary pv-accept', onclick: () => decide(b, true, note) }, t('pv.accept')),
              h('button', { type: 'button', class: 'pv-decline', onclick: () => decide(b, false, note) }, t('pv.decline')),
            ),
            'operator',
          )
        : null;
    return h(
      'tr',
      { 'data-bulletin': b.id, 'data-priority': b.priority, 'data-status': b.status },
      h('td', {}, fmtTime(b.receivedAt)),
      h('td', { class: 'wrap' }, b.title),
      // One block per cell: a phone's card layout lays a cell's children side by side.
      h(
        'td',
        {},
        h(
          'div',
          {},
          h('span', { class: `badge prio-${b.priority}`, title: t(`pv.ph_${b.priority}`) }, t(`pv.p_${b.priority}`)),
          h('div', { class: 'small muted' }, t(`pv.ph_${b.priority}`)),
        ),
      ),
      h(
        'td',
        {},
        h(
          'div',
          {},
          h('span', { class: `badge st-${b.status}` }, t(`pv.s_${b.status}`)),
          b.decidedBy ? h('div', { class: 'small muted' }, `${b.decidedBy} · ${fmtTime(b.decidedAt)}${b.note ? ` · ${b.note}` : ''}`) : null,
        ),
      ),
      h('td', {}, detail?.aired ?? '—'),
      h('td', {}, detail?.reported ?? '—'),
      h('td', { class: 'actions' }, actions),
    );
  };

  let seq = 0;
  const load = async (): Promise<void> => {
    const mine = ++seq;
    try {
      const r = await api.get<{ items: Bulletin[] }>('/api/v1/province/inbox');
      const details = await Promise.all(r.items.slice(0, DETAILED).map((b) => airing(b)));
      if (!alive() || mine !== seq) return;
      // Someone typing a note or reading play logs keeps them: a refresh waits for the next round.
      if (body.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return;
      if (body.querySelector('details[open]')) return;
      const heads = [t('pv.received'), t('pv.title'), t('pv.priority'), t('pv.handling'), t('pv.aired'), t('pv.reported'), ''];
      body.replaceChildren(
        r.items.length
          ? h(
              'table',
              { class: 'grid', id: 'pv-inbox-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  heads.map((c) => h('th', {}, c)),
                ),
              ),
              h(
                'tbody',
                {},
                r.items.map((b, i) => row(b, details[i] ?? null)),
              ),
            )
          : h('p', { class: 'muted', id: 'pv-inbox-empty' }, t('pv.noInbox')),
      );
    } catch (err) {
      if (alive() && mine === seq) body.replaceChildren(h('p', { class: 'error' }, errorText(err)));
    }
  };
  return { el, load };
}

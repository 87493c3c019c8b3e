import { api } from '../../api.ts';
import type { Command, Delivery as ApiDelivery } from '../../contract.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import './words.ts';

/** A command as the lighting page follows it (`command.outcome` events carry each device's final state). */
type CommandView = Pick<Command, 'id' | 'state' | 'deviceCount' | 'counts'>;
/** A row of the table: a delivery as the API reports it, or as a live event moved it on (its state as the event says). */
type Delivery = Pick<ApiDelivery, 'deviceId' | 'attempts' | 'error' | 'ackedAt' | 'finishedAt'> & { state: string };
interface CommandEvent {
  commandId: string;
  deviceId: string;
  status?: string;
  state?: string;
}

const FINAL = new Set(['acknowledged', 'failed', 'expired', 'cancelled']);
/** Without a live event for this long while deliveries are open, the page asks the server. */
const POLL_AFTER_MS = 4000;

interface Follow {
  prefix: string;
  ids: Set<string>;
  expected: number | null;
  rows: Map<string, Delivery>;
  trs: Map<string, HTMLTableRowElement>;
  lastEvent: number;
  timer?: ReturnType<typeof setTimeout>;
}

export interface AckPanel {
  el: HTMLElement;
  /** Starts following a command the page names itself (its id is known before the request is answered). */
  expect(prefix: string, label: string): void;
  /** The server answered: these command ids hold the deliveries (`prefix` or `prefix:<kind>`, or program pushes). */
  follow(commands: CommandView[], label?: string): Promise<void>;
  /** The request failed: stop following. */
  abandon(): void;
  stop(): void;
}

/**
 * Each light's acknowledgement of the last command sent from the page, live (command.outcome over the live stream;
 * the commands are polled when no event comes for a while). Overrides, resumes and program pushes all land here.
 */
export function ackPanel(alive: () => boolean): AckPanel {
  const el = h(
    'section',
    { class: 'panel', id: 'lt-acks', 'aria-live': 'polite' },
    h('h2', {}, t('commandResult')),
    h('p', { class: 'muted' }, t('noCommand')),
  );
  const summary = h('p', { id: 'lt-ack-summary' });
  const tbody = h('tbody');
  let f: Follow | null = null;

  const setRow = (d: Delivery): void => {
    if (!f) return;
    const prev = f.rows.get(d.deviceId);
    // A final state never goes back to an open one (an event may arrive before the first poll answers).
    if (prev && FINAL.has(prev.state) && !FINAL.has(d.state)) return;
    f.rows.set(d.deviceId, { ...prev, ...d });
    const cur = f.rows.get(d.deviceId) as Delivery;
    const label = (x: string): HTMLElement => h('td', { 'data-label': x });
    const cells = [label(t('device')), label(t('status')), label(t('attempts')), label(t('time')), label(t('error'))];
    cells[0]!.append(h('a', { href: `#/device/${encodeURIComponent(cur.deviceId)}` }, fleet.devices.get(cur.deviceId)?.name ?? cur.deviceId));
    cells[1]!.append(h('span', { class: `badge ${cur.state}` }, t(`ack_${cur.state}`)));
    cells[2]!.append(String(cur.attempts || ''));
    cells[3]!.append((cur.finishedAt ?? cur.ackedAt) ? fmtTime(cur.finishedAt ?? cur.ackedAt) : '');
    cells[4]!.className = 'error';
    cells[4]!.append(cur.error ?? '');
    let tr = f.trs.get(cur.deviceId);
    if (!tr) {
      tr = h('tr', { 'data-device': cur.deviceId });
      f.trs.set(cur.deviceId, tr);
      tbody.append(tr);
    }
    tr.setAttribute('data-state', cur.state);
    tr.replaceChildren(...cells);
  };
  const paintSummary = (): void => {
    if (!f) return;
    const all = [...f.rows.values()];
    const acked = all.filter((d) => d.state === 'acknowledged').length;
    const bad = all.filter((d) => d.state === 'failed' || d.state === 'expired' || d.state === 'cancelled').length;
    // Until the server said how many lights the command holds (and the first poll listed them), rows may be missing.
    const total = Math.max(f.expected ?? 0, all.length);
    const open = total - acked - bad;
    summary.textContent = `${acked}/${total} ${t('ackSummary')} · ${open} ${t('pendingCount')} · ${bad} ${t('failedCount')}`;
    el.setAttribute('data-total', String(total));
    el.setAttribute('data-acked', String(acked));
    el.setAttribute('data-open', String(open));
    el.setAttribute('data-done', String(f.expected !== null && total > 0 && open === 0));
  };
  const poll = async (): Promise<void> => {
    const mine = f;
    if (!mine || !alive()) return;
    try {
      for (const id of mine.ids) {
        const r = await api.get<{ command: CommandView; deliveries: Delivery[] }>(`/api/v1/commands/${encodeURIComponent(id)}?limit=1000`);
        if (f !== mine) return;
        for (const d of r.deliveries) setRow(d);
      }
      paintSummary();
    } catch {
      /* the next poll tries again */
    }
  };
  const schedulePoll = (): void => {
    const mine = f;
    if (!mine || !alive()) return;
    clearTimeout(mine.timer);
    mine.timer = setTimeout(() => {
      const open = mine.rows.size < (mine.expected ?? 1) || [...mine.rows.values()].some((d) => !FINAL.has(d.state));
      if (!open || f !== mine || !alive()) return;
      const quiet = Date.now() - mine.lastEvent >= POLL_AFTER_MS;
      if (quiet) el.setAttribute('data-polled', String(Number(el.getAttribute('data-polled') ?? 0) + 1));
      void (quiet ? poll() : Promise.resolve()).then(schedulePoll);
    }, POLL_AFTER_MS);
  };
  const onEvent = (data: unknown): void => {
    const e = data as CommandEvent;
    const mine = f;
    if (!mine || !(mine.ids.has(e.commandId) || e.commandId === mine.prefix || e.commandId.startsWith(`${mine.prefix}:`))) return;
    mine.lastEvent = Date.now();
    const state = e.status ?? e.state;
    if (!state) return;
    const prev = mine.rows.get(e.deviceId);
    setRow({
      deviceId: e.deviceId,
      state,
      attempts: prev?.attempts ?? 0,
      error: prev?.error ?? null,
      ackedAt: prev?.ackedAt ?? null,
      finishedAt: FINAL.has(state) ? new Date().toISOString() : (prev?.finishedAt ?? null),
    });
    paintSummary();
    // Failure details (the device's message) come with the command's record.
    if (state === 'failed') void poll();
  };
  const unsubs = [fleet.on('command.outcome', onEvent)];

  const expect = (prefix: string, label: string): void => {
    clearTimeout(f?.timer);
    f = { prefix, ids: new Set([prefix]), expected: null, rows: new Map(), trs: new Map(), lastEvent: Date.now() };
    tbody.replaceChildren();
    el.setAttribute('data-command', prefix);
    el.setAttribute('data-polled', '0');
    el.replaceChildren(
      h('h2', {}, t('commandResult')),
      h('p', { class: 'muted', id: 'lt-ack-label' }, label),
      summary,
      h(
        'table',
        { class: 'grid stack', id: 'lt-ack-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [t('device'), t('status'), t('attempts'), t('time'), t('error')].map((c) => h('th', {}, c)),
          ),
        ),
        tbody,
      ),
    );
    paintSummary();
  };
  return {
    el,
    expect,
    async follow(commands, label) {
      if (!f || label !== undefined) expect(commands[0]?.id ?? 'none', label ?? '');
      if (!f) return;
      f.ids = new Set(commands.map((c) => c.id));
      f.expected = commands.reduce((n, c) => n + c.deviceCount, 0);
      paintSummary();
      await poll();
      schedulePoll();
    },
    abandon() {
      clearTimeout(f?.timer);
      f = null;
      el.removeAttribute('data-command');
    },
    stop() {
      clearTimeout(f?.timer);
      for (const u of unsubs) u();
    },
  };
}

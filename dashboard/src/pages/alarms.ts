import { api } from '../api.ts';
import type { Alarm } from '../contract.ts';
import { clear, fmtTime, h, type Child } from '../dom.ts';
import { fleet } from '../fleet.ts';
import { addStrings, getLang, t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import { errorText, toast } from '../ui/notice.ts';

addStrings(
  {
    'alm.sev_critical': 'Nghiêm trọng',
    'alm.sev_warning': 'Cảnh báo',
    'alm.sev_info': 'Thông tin',
    'alm.severity': 'Mức độ',
    'alm.state_active': 'Chưa xử lý',
    'alm.state_acknowledged': 'Đã xác nhận',
    'alm.state_cleared': 'Đã kết thúc',
    'alm.recentAlarms': 'Cảnh báo 7 ngày qua',
    'alm.acknowledge': 'Xác nhận',
    'alm.ackNote': 'Ghi chú (không bắt buộc)',
    'alm.cancel': 'Huỷ',
    'alm.clear': 'Kết thúc',
    'alm.clearConfirm': 'Kết thúc cảnh báo này? (đã khắc phục xong)',
    'alm.cleared': 'Đã kết thúc cảnh báo',
    'alm.acknowledged': 'Đã xác nhận cảnh báo',
    'alm.device': 'Thiết bị',
    'alm.alarm': 'Cảnh báo',
    'alm.raisedAt': 'Phát sinh',
    'alm.handling': 'Xử lý',
    'alm.occurrences': 'lần',
    'alm.by': 'bởi',
    'alm.noOpenAlarms': 'Không có cảnh báo nào đang mở',
    'alm.clearFilter': 'Bỏ lọc',
    'alm.anyKind': 'Chung',
  },
  {
    'alm.sev_critical': 'Critical',
    'alm.sev_warning': 'Warning',
    'alm.sev_info': 'Info',
    'alm.severity': 'Severity',
    'alm.state_active': 'Active',
    'alm.state_acknowledged': 'Acknowledged',
    'alm.state_cleared': 'Cleared',
    'alm.recentAlarms': 'Alarms of the last 7 days',
    'alm.acknowledge': 'Acknowledge',
    'alm.ackNote': 'Note (optional)',
    'alm.cancel': 'Cancel',
    'alm.clear': 'Clear',
    'alm.clearConfirm': 'Clear this alarm? (the fault has been fixed)',
    'alm.cleared': 'Alarm cleared',
    'alm.acknowledged': 'Alarm acknowledged',
    'alm.device': 'Device',
    'alm.alarm': 'Alarm',
    'alm.raisedAt': 'Raised',
    'alm.handling': 'Handling',
    'alm.occurrences': 'times',
    'alm.by': 'by',
    'alm.noOpenAlarms': 'No open alarms',
    'alm.clearFilter': 'Clear filter',
    'alm.anyKind': 'Any kind',
  },
);

export type { Alarm };

/** The payload of the `alarm.update` live event (services/health emits it after each committed change). */
export interface AlarmUpdate {
  event: 'alarm.raised' | 'alarm.acknowledged' | 'alarm.cleared';
  alarm: Alarm;
}

export const alarmText = (a: Alarm): string => (getLang() === 'vi' ? a.message.vi : a.message.en);
export const deviceName = (id: string): string => fleet.devices.get(id)?.name ?? id;

/** Calls `fn` once after a burst of live alarm events (a sweep can raise many at once). */
export function onAlarmUpdates(fn: () => void, delayMs = 300): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const off = fleet.on('alarm.update', () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(fn, delayMs);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}

const sevBadge = (s: Alarm['severity']): HTMLElement => h('span', { class: `badge sev-${s}` }, t(`alm.sev_${s}`));

/** Active and recent alarms with filters; operators acknowledge with an optional note. Updates live. */
export async function alarmsPage(root: HTMLElement, params: string[]): Promise<() => void> {
  const device = params[0] ?? '';
  const fSev = h(
    'select',
    { id: 'f-sev' },
    h('option', { value: '' }, t('all')),
    (['critical', 'warning', 'info'] as const).map((s) => h('option', { value: s }, t(`alm.sev_${s}`))),
  );
  const kinds = [...new Set([...fleet.devices.values()].map((d) => d.kind))].sort();
  const fKind = h(
    'select',
    { id: 'f-kind' },
    h('option', { value: '' }, t('all')),
    kinds.map((k) => h('option', { value: k }, kindLabel(k))),
    h('option', { value: '*' }, t('alm.anyKind')),
  );
  const openBox = h('section', { class: 'panel', id: 'alarms-open' }, h('p', {}, t('loading')));
  const recentBox = h('section', { class: 'panel', id: 'alarms-recent' });
  root.append(
    h('h1', {}, t('alarms')),
    h(
      'div',
      { class: 'filters' },
      h('label', {}, t('alm.severity'), fSev),
      h('label', {}, t('kind'), fKind),
      device && h('span', { class: 'chip' }, `${t('alm.device')}: ${deviceName(device)} `, h('a', { href: '#/alarms', title: t('alm.clearFilter') }, '✕')),
    ),
    openBox,
    recentBox,
  );

  /** The alarm whose acknowledgement form is open: reloads wait until it closes, so typing is never lost. */
  let editing: number | null = null;
  let reloadWaiting = false;
  let seq = 0;

  const query = (extra: string): string => {
    const q = new URLSearchParams(extra);
    if (fSev.value) q.set('severity', fSev.value);
    if (fKind.value) q.set('kind', fKind.value);
    if (device) q.set('device', device);
    return `/api/v1/alarms?${q.toString()}`;
  };

  const ackForm = (a: Alarm, cell: HTMLElement): void => {
    editing = a.id;
    const note = h('input', { name: 'note', maxlength: 500, placeholder: t('alm.ackNote'), class: 'ack-note' });
    const close = (): void => {
      editing = null;
      if (reloadWaiting) void load();
      else paintCell(a, cell);
    };
    const form = h(
      'form',
      {
        class: 'ack-form',
        'data-role-min': 'operator',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const text = note.value.trim();
          submit.disabled = true;
          api.request<Alarm>('POST', `/api/v1/alarms/${a.id}/ack`, text ? { note: text } : {}).then(
            () => {
              toast(t('alm.acknowledged'));
              editing = null;
              void load();
            },
            (err: unknown) => {
              toast(errorText(err), 'error');
              editing = null;
              void load();
            },
          );
        },
      },
      note,
    );
    const submit = h('button', { type: 'submit', class: 'primary ack-confirm' }, t('alm.acknowledge'));
    form.append(submit, h('button', { type: 'button', onclick: close }, t('alm.cancel')));
    clear(cell);
    cell.append(form);
    note.focus();
  };

  const paintCell = (a: Alarm, cell: HTMLElement): void => {
    clear(cell);
    if (a.state === 'active' && api.can('operator')) {
      cell.append(h('button', { class: 'ack', type: 'button', 'data-role-min': 'operator', onclick: () => ackForm(a, cell) }, t('alm.acknowledge')));
    }
    if (a.state !== 'cleared' && api.can('operator')) {
      cell.append(' ', h('button', { class: 'clear-alarm', type: 'button', 'data-role-min': 'operator', onclick: () => clearAlarm(a) }, t('alm.clear')));
    }
  };

  /** An operator ends an alarm by hand (the fault was fixed and the device will not say so itself); confirmed first. */
  const clearAlarm = (a: Alarm): void => {
    if (!window.confirm(t('alm.clearConfirm'))) return;
    api.request<Alarm>('POST', `/api/v1/alarms/${a.id}/clear`, {}).then(
      () => {
        toast(t('alm.cleared'));
        void load();
      },
      (err: unknown) => {
        toast(errorText(err), 'error');
        void load();
      },
    );
  };

  const handling = (a: Alarm): HTMLElement => {
    const box = h('div', {}, h('span', { class: `badge ${a.state}` }, t(`alm.state_${a.state}`)));
    if (a.acknowledgedAt)
      box.append(
        h(
          'div',
          { class: 'muted small' },
          `${t('alm.by')} ${a.acknowledgedBy ?? '?'} · ${fmtTime(a.acknowledgedAt, getLang())}`,
          a.ackNote && h('div', { class: 'ack-text' }, `“${a.ackNote}”`),
        ),
      );
    if (a.clearedAt) box.append(h('div', { class: 'muted small' }, `${fmtTime(a.clearedAt, getLang())}${a.clearReason ? ` · ${a.clearReason}` : ''}`));
    return box;
  };

  const table = (items: Alarm[], actions: boolean): HTMLTableElement => {
    const head = [t('alm.severity'), t('alm.device'), t('alm.alarm'), t('alm.raisedAt'), t('alm.handling'), ...(actions ? [''] : [])];
    return h(
      'table',
      { class: 'grid stack alarms' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        items.map((a) => {
          const cell = h('td', { class: 'actions', 'data-label': '' });
          if (actions) paintCell(a, cell);
          const td = (i: number, ...c: Child[]): HTMLElement => h('td', { 'data-label': head[i] ?? '' }, ...c);
          return h(
            'tr',
            { class: `sev-${a.severity} st-${a.state}`, 'data-alarm-id': a.id, 'data-state': a.state, 'data-device': a.deviceId },
            td(0, sevBadge(a.severity)),
            td(
              1,
              h('a', { href: `#/device/${encodeURIComponent(a.deviceId)}` }, deviceName(a.deviceId)),
              h('div', { class: 'muted small' }, a.kind === '*' ? a.deviceId : `${a.deviceId} · ${kindLabel(a.kind)}`),
            ),
            td(2, alarmText(a), a.occurrences > 1 && h('span', { class: 'muted' }, ` ×${a.occurrences}`)),
            td(3, fmtTime(a.raisedAt)),
            td(4, handling(a)),
            actions && cell,
          );
        }),
      ),
    );
  };

  async function load(): Promise<void> {
    if (editing !== null) {
      reloadWaiting = true;
      return;
    }
    reloadWaiting = false;
    const mine = ++seq;
    const from = new Date(Date.now() - 7 * 86400_000).toISOString();
    try {
      const [open, recent] = await Promise.all([
        api.get<{ items: Alarm[]; total: number }>(query('state=open&limit=500')),
        api.get<{ items: Alarm[]; total: number }>(query(`from=${encodeURIComponent(from)}&limit=100`)),
      ]);
      if (mine !== seq || editing !== null) {
        if (editing !== null) reloadWaiting = true;
        return;
      }
      clear(openBox);
      openBox.append(
        h('h2', {}, `${t('openAlarms')} (${open.total})`),
        open.items.length ? table(open.items, true) : h('p', { class: 'muted', id: 'no-open-alarms' }, t('alm.noOpenAlarms')),
      );
      clear(recentBox);
      recentBox.append(
        h('h2', {}, `${t('alm.recentAlarms')} (${recent.total})`),
        recent.items.length ? table(recent.items, false) : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (err) {
      if (mine !== seq) return;
      clear(openBox);
      openBox.append(h('h2', {}, t('openAlarms')), h('p', { class: 'error' }, errorText(err)));
    }
  }

  const refilter = (): void => {
    editing = null;
    void load();
  };
  fSev.addEventListener('change', refilter);
  fKind.addEventListener('change', refilter);
  await load();
  const offLive = onAlarmUpdates(() => void load());
  return () => {
    seq++;
    offLive();
  };
}

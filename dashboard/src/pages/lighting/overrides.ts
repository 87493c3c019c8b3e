import { api } from '../../api.ts';
import type { Override } from '../../contract.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable, panel } from '../../ui/table.ts';
import type { AckPanel } from './acks.ts';
import type { Command } from '../../contract.ts';
import './words.ts';

interface Group {
  commandId: string;
  level: number;
  expiresAt: string;
  startsAt: string;
  setBy: string;
  deviceIds: string[];
}

/**
 * Lights under a manual override now, one line per command (a zone dimmed at once is one line): level, who, until
 * when, how many lights; "end now" sends those lights back to their program.
 */
export function overridesPanel(acks: AckPanel, alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const el = panel('lt-overrides', t('overrides'), body);
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: Override[] }>('/api/v1/lighting/overrides');
      if (!alive()) return;
      const groups = new Map<string, Group>();
      for (const o of r.items) {
        const g = groups.get(o.commandId) ?? {
          commandId: o.commandId,
          level: o.level,
          expiresAt: o.expiresAt,
          startsAt: o.startsAt,
          setBy: o.setBy,
          deviceIds: [],
        };
        g.deviceIds.push(o.deviceId);
        groups.set(o.commandId, g);
      }
      const rows = [...groups.values()].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
      el.dataset.count = String(r.items.length);
      body.replaceChildren(
        rows.length
          ? dataTable(
              rows,
              [
                { head: t('levelShort'), class: 'num', cell: (g) => `${g.level}%` },
                {
                  head: t('lightsCount'),
                  class: 'wrap',
                  cell: (g) =>
                    g.deviceIds.length === 1
                      ? h('a', { href: `#/device/${encodeURIComponent(g.deviceIds[0]!)}` }, fleet.devices.get(g.deviceIds[0]!)?.name ?? g.deviceIds[0]!)
                      : `${g.deviceIds.length} ${t('lights')}`,
                },
                { head: t('setBy'), cell: (g) => `${g.setBy} · ${fmtTime(g.startsAt)}` },
                { head: t('ends'), cell: (g) => fmtTime(g.expiresAt) },
                {
                  head: '',
                  class: 'actions',
                  cell: (g) => gated(h('button', { type: 'button', class: 'end-override', onclick: () => void end(g) }, t('endNow'))),
                },
              ],
              { id: 'lt-override-table', rowAttrs: (g) => ({ 'data-command': g.commandId, 'data-lights': g.deviceIds.length }) },
            )
          : h('p', { class: 'muted', id: 'lt-no-overrides' }, t('noOverrides')),
      );
    } catch (e) {
      if (alive()) body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  };
  const end = async (g: Group): Promise<void> => {
    try {
      const r = await api.request<{ commands: Command[] }>('POST', '/api/v1/lighting/resume', { target: { type: 'devices', ids: g.deviceIds } });
      await load();
      await acks.follow(r.commands, `${t('resume')} · ${g.deviceIds.length} ${t('lights')}`);
    } catch (e) {
      body.append(h('p', { class: 'error' }, errorText(e)));
    }
  };
  return { el, load };
}

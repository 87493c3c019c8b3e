import { clear, fmtTime, h } from '../dom.ts';
import { fleet, statusOf, type FleetDevice } from '../fleet.ts';
import { deviceHealth, HEALTH_COLOURS, HEALTHS } from '../health.ts';
import { t } from '../i18n.ts';
import { kindLabel } from '../kinds.ts';
import { zones } from '../zones.ts';
import { dataTable } from '../ui/table.ts';
import './device/words.ts';

export { devicePage } from './device/index.ts';

const PAGE = 100;

/** Every device with its kind, residential group (by name), health and last report; search, filters, pages of 100. */
export async function deviceListPage(root: HTMLElement): Promise<() => void> {
  const q = h('input', { type: 'search', placeholder: t('search'), id: 'dev-search', 'aria-label': t('search') });
  const fKind = h(
    'select',
    { id: 'dev-kind' },
    h('option', { value: '' }, t('all')),
    [...new Set([...fleet.devices.values()].map((d) => d.kind))].sort().map((k) => h('option', { value: k }, kindLabel(k))),
  );
  const groups = zones.items.filter((z) => z.kind === 'residential_group');
  const fGroup = h(
    'select',
    { id: 'dev-group' },
    h('option', { value: '' }, t('all')),
    groups.map((z) => h('option', { value: z.id }, z.name)),
  );
  const fHealth = h(
    'select',
    { id: 'dev-health' },
    h('option', { value: '' }, t('all')),
    HEALTHS.map((s) => h('option', { value: s }, t(`health_${s}`))),
  );
  const body = h('div', { id: 'device-list' });
  const pager = h('div', { class: 'pager' });
  let page = 0;
  root.append(
    h(
      'div',
      { class: 'filters' },
      h('label', {}, t('search'), q),
      h('label', {}, t('kind'), fKind),
      h('label', {}, t('group'), fGroup),
      h('label', {}, t('health'), fHealth),
    ),
    body,
    pager,
  );
  const paint = (): void => {
    const needle = q.value.trim().toLowerCase();
    const rows = [...fleet.devices.values()].filter(
      (d) =>
        (!fKind.value || d.kind === fKind.value) &&
        (!fGroup.value || d.groupId === fGroup.value) &&
        (!fHealth.value || deviceHealth.of(d) === fHealth.value) &&
        (!needle || d.id.includes(needle) || d.name.toLowerCase().includes(needle)),
    );
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(page, pages - 1);
    body.replaceChildren(
      dataTable<FleetDevice>(
        rows.slice(page * PAGE, page * PAGE + PAGE),
        [
          { head: t('name'), cell: (d) => h('a', { href: `#/device/${encodeURIComponent(d.id)}` }, d.name) },
          { head: 'ID', cell: (d) => d.id },
          { head: t('kind'), cell: (d) => kindLabel(d.kind) },
          { head: t('group'), cell: (d) => zones.name(d.groupId) },
          {
            head: t('health'),
            cell: (d) => [h('span', { class: 'health-dot', style: `background:${HEALTH_COLOURS[deviceHealth.of(d)]}` }), t(`health_${deviceHealth.of(d)}`)],
          },
          { head: t('lastSeen'), cell: (d) => fmtTime(d.lastSeen) },
        ],
        { id: 'device-table', rowAttrs: (d) => ({ class: statusOf(d), 'data-device': d.id }) },
      ),
    );
    clear(pager);
    pager.append(
      h(
        'button',
        {
          disabled: page === 0,
          onclick: () => {
            page--;
            paint();
          },
        },
        '‹',
      ),
      ` ${t('page')} ${page + 1}/${pages} (${rows.length}) `,
      h(
        'button',
        {
          disabled: page >= pages - 1,
          onclick: () => {
            page++;
            paint();
          },
        },
        '›',
      ),
    );
  };
  for (const f of [q, fKind, fGroup, fHealth])
    f.addEventListener(f === q ? 'input' : 'change', () => {
      page = 0;
      paint();
    });
  paint();
  void deviceHealth.load();
  const offHealth = deviceHealth.use(paint);
  const off = fleet.subscribe(paint);
  return () => {
    off();
    offHealth();
  };
}

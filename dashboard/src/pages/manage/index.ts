import { api, type Me } from '../../api.ts';
import { h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { kinds } from '../../kinds.ts';
import type { Settings } from '../../settings.ts';
import { zones } from '../../zones.ts';
import { devicesTab } from './devices.ts';
import { alarmRulesTab, camerasTab, maintenanceTab } from './operations.ts';
import { usersTab, zonesTab } from './zones-users.ts';
import './words.ts';

interface Tab {
  path: string;
  title: string;
  role: Me['role'];
  render: (s: Settings) => HTMLElement;
}

/** Management screens, one tab each; a tab is listed for the roles that may use it (the API checks again). */
const TABS: Tab[] = [
  { path: 'devices', title: 'mg_devices', role: 'operator', render: () => devicesTab() },
  { path: 'zones', title: 'mg_zones', role: 'viewer', render: () => zonesTab() },
  { path: 'maintenance', title: 'mg_maintenance', role: 'viewer', render: (s) => maintenanceTab(s.ward.code) },
  { path: 'alarm-rules', title: 'mg_rules', role: 'viewer', render: () => alarmRulesTab() },
  { path: 'cameras', title: 'mg_cameras', role: 'viewer', render: () => camerasTab() },
  { path: 'users', title: 'mg_users', role: 'admin', render: () => usersTab() },
];

export async function managePage(root: HTMLElement, params: string[], settings: Settings): Promise<() => void> {
  await Promise.all([kinds.load().catch(() => undefined), zones.load()]);
  const shown = TABS.filter((x) => api.can(x.role));
  const tab = shown.find((x) => x.path === params[0]) ?? shown[0];
  if (!tab) return () => undefined;
  // The datalist of device ids serves the edit form and the maintenance scope.
  root.append(
    h('h1', {}, t('manage')),
    h(
      'nav',
      { class: 'tabs', id: 'manage-tabs' },
      shown.map((x) => h('a', { href: `#/manage/${x.path}`, class: x === tab ? 'active' : '', 'data-tab': x.path }, t(x.title))),
    ),
    h(
      'datalist',
      { id: 'mg-device-ids' },
      [...fleet.devices.values()].slice(0, 5000).map((d) => h('option', { value: d.id }, d.name)),
    ),
    h('div', { id: `manage-${tab.path}` }, tab.render(settings)),
  );
  return () => undefined;
}

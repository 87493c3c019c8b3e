import { h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { deviceHealth } from '../../health.ts';
import { t } from '../../i18n.ts';
import { kindLabel, kinds } from '../../kinds.ts';
import { alarmsPanel } from './alarms.ts';
import { commandsPanel } from './commands.ts';
import { historyPanel, infoPanel, statePanel } from './state.ts';
import { telemetryPanel } from './telemetry.ts';
import './words.ts';

/**
 * One device: latest state in the kind's words (live), its record, telemetry charts, its alarms, online/offline
 * history, and the commands sent to it with this device's result; operators get a form per command the kind offers.
 * Each part is a panel of its own (pages/device/*).
 */
export async function devicePage(root: HTMLElement, params: string[]): Promise<() => void> {
  let alive = true;
  const isAlive = (): boolean => alive;
  const id = params[0] ?? '';
  const d = fleet.devices.get(id);
  if (!d) {
    root.append(
      h('p', {}, h('a', { href: '#/devices' }, `‹ ${t('back')}`)),
      h('p', { class: 'error', id: 'device-missing' }, `${t('dp_deviceNotFound')}: ${id}`),
    );
    return () => undefined;
  }
  await kinds.load().catch(() => undefined);
  // The operator may have moved on while the kinds loaded: this page is then no longer in the document.
  if (!root.isConnected) return () => undefined;
  const kind = kinds.get(d.kind);

  const state = statePanel(d);
  const chart = telemetryPanel(id, d.kind, kind, isAlive);
  const history = historyPanel(id, isAlive);
  const commands = commandsPanel(id, kind, isAlive);
  const alarms = alarmsPanel(id, isAlive);
  root.append(
    h(
      'p',
      {},
      h('a', { href: '#/devices' }, `‹ ${t('back')}`),
      kind?.transport === 'onvif' ? [' · ', h('a', { href: `#/cameras/${encodeURIComponent(id)}` }, t('dp_openCamera'))] : null,
    ),
    h('h1', {}, d.name, ' ', h('small', { class: 'muted' }, `${d.id} · ${kindLabel(d.kind)}`)),
    h('div', { class: 'two' }, state.el, infoPanel(id, isAlive)),
    alarms.el,
    chart.el,
    h('div', { class: 'two' }, history.el, commands.el),
  );

  state.paint();
  void chart.load();
  void history.load();
  void commands.load();
  void alarms.load();
  void deviceHealth.load();
  const unsubs = [
    fleet.subscribe(state.paint),
    deviceHealth.use(state.paint),
    alarms.stop,
    fleet.on('device.status', (e) => {
      if ((e as { deviceId?: string }).deviceId === id) void history.load();
    }),
    fleet.on('command.outcome', (e) => {
      if ((e as { deviceId?: string }).deviceId === id) void commands.load();
    }),
  ];
  return () => {
    alive = false;
    for (const u of unsubs) u();
  };
}

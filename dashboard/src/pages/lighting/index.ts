import { api } from '../../api.ts';
import type { Command as CommandView } from '../../contract.ts';
import { h } from '../../dom.ts';
import { formatClock, formatDate } from '../../format.ts';
import { fleet, type FleetDevice } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { kinds } from '../../kinds.ts';
import type { Settings } from '../../settings.ts';
import { zones } from '../../zones.ts';
import { ackPanel } from './acks.ts';
import { controlPanel } from './control.ts';
import { energyPanel } from './energy.ts';
import { overridesPanel } from './overrides.ts';
import { programsPanels } from './programs.ts';
import './words.ts';

/** Today's sunrise and sunset at the ward's site, and the next days' (what programs' sun steps follow). */
function sunLine(alive: () => boolean): HTMLElement {
  const el = h('p', { class: 'sun muted', id: 'lt-sun' });
  void api.get<{ days: { date: string; sunrise: string | null; sunset: string | null }[] }>('/api/v1/lighting/sun?days=7').then(
    (r) => {
      if (!alive() || !r.days.length) return;
      const [today, ...rest] = r.days;
      el.replaceChildren(
        h(
          'span',
          { 'data-sunrise': today!.sunrise ?? '', 'data-sunset': today!.sunset ?? '' },
          `${t('sunToday')}: ☀ ${t('sunrise')} ${formatClock(today!.sunrise)} · ${t('sunset')} ${formatClock(today!.sunset)}`,
        ),
        h('span', { title: t('sunWeek') }, rest.map((d) => `${formatDate(d.date).slice(0, 5)} ${formatClock(d.sunrise)}–${formatClock(d.sunset)}`).join(' · ')),
      );
    },
    () => undefined,
  );
  return el;
}

/**
 * Lighting, as panels: control (whole ward, a zone or picked lights, always with an end), each light's acknowledgement
 * live, the overrides in force, energy and planned-vs-reported levels, programs / calendars / assignments. Which kinds
 * are lights comes from /kinds (capability `lighting`).
 */
export async function lightingPage(root: HTMLElement, _params: string[], settings: Settings): Promise<() => void> {
  let alive = true;
  const isAlive = (): boolean => alive;
  await kinds.load().catch(() => undefined);
  const lightKinds = kinds.withCapability('lighting');
  const lights = (): FleetDevice[] => [...fleet.devices.values()].filter((d) => lightKinds.has(d.kind)).sort((a, b) => a.id.localeCompare(b.id));
  await zones.load();
  const acks = ackPanel(isAlive);
  const overrides = overridesPanel(acks, isAlive);
  const control = controlPanel({
    lights,
    zones: zones.items,
    wardCode: settings.ward.code,
    tz: settings.ward.timezone,
    acks,
    changed: () => void overrides.load(),
  });
  const followPush = async (ids: string[]): Promise<void> => {
    const views = await Promise.all(ids.map((id) => api.get<{ command: CommandView }>(`/api/v1/commands/${encodeURIComponent(id)}`).then((r) => r.command)));
    await acks.follow(views, `${t('programPush')} · ${ids.length}`);
  };
  const programs = programsPanels({ lights, zones: zones.items, wardCode: settings.ward.code, alive: isAlive, followPush });
  const energy = energyPanel(isAlive);
  root.append(h('h1', {}, t('lighting')), sunLine(isAlive), control.el, h('div', { class: 'two' }, acks.el, overrides.el), programs.el, energy.el);
  const unsubs = [fleet.subscribe(control.repaint)];
  await Promise.all([programs.reload(), overrides.load()]).catch(() => undefined);
  void energy.load();
  return () => {
    alive = false;
    acks.stop();
    for (const u of unsubs) u();
  };
}

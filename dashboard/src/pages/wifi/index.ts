import { h } from '../../dom.ts';
import { t } from '../../i18n.ts';
import type { Settings } from '../../settings.ts';
import { zones } from '../../zones.ts';
import { consentPanel, retentionPanel } from './consent-panels.ts';
import { PERIODS, periodOf, type PeriodChoice } from './model.ts';
import { sessionsPanel, usagePanels } from './sessions-panels.ts';
import './words.ts';

const LABEL: Record<PeriodChoice, string> = { '24h': 'wf.p24h', '7d': 'wf.p7d', '30d': 'wf.p30d', month: 'wf.pMonth', half: 'wf.pHalf' };

/**
 * Public WiFi ("WiFi công cộng"): unique users and sessions of a period (the report's indicator), each point's, the
 * sessions themselves for operators (point, times, length, bytes; never who), portal logins by consent, and the
 * personal-data retention with the administrator's "run now". No MAC or phone ever reaches the page.
 */
export async function wifiPage(root: HTMLElement, params: string[], settings: Settings): Promise<() => void> {
  let alive = true;
  const isAlive = (): boolean => alive;
  const tz = settings.ward.timezone || 'Asia/Ho_Chi_Minh';
  await zones.load();
  const asked = PERIODS.includes(params[0] as PeriodChoice) ? (params[0] as PeriodChoice) : '7d';
  const choose = h(
    'select',
    { id: 'wf-period' },
    PERIODS.map((p) => h('option', { value: p, selected: p === asked }, t(LABEL[p]))),
  );
  const usage = usagePanels(isAlive);
  const sessions = sessionsPanel(isAlive);
  const consent = consentPanel(isAlive);
  const load = (): void => {
    const p = periodOf(choose.value as PeriodChoice, Date.now(), tz);
    if (location.hash !== `#/wifi/${choose.value}`) history.replaceState(null, '', `#/wifi/${choose.value}`);
    void usage.load(p);
    void sessions.load(p);
    void consent.load(p);
  };
  const retention = retentionPanel(isAlive, load);
  choose.addEventListener('change', load);
  root.append(
    h('h1', {}, t('wifi')),
    h('div', { class: 'filters' }, h('label', {}, t('wf.period'), choose)),
    ...usage.el,
    sessions.el,
    consent.el,
    retention.el,
  );
  load();
  await retention.load();
  return () => {
    alive = false;
  };
}

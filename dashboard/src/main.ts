import { api } from './api.ts';
import { clear, h } from './dom.ts';
import { fleet } from './fleet.ts';
import { setZone } from './format.ts';
import { kinds } from './kinds.ts';
import { zones } from './zones.ts';
import { stackTables } from './ui/table.ts';
import { getLang, setLang, t } from './i18n.ts';
import { routes, type Page } from './pages/index.ts';
import { loginPage } from './pages/login.ts';
import type { Settings } from './settings.ts';

let settings: Settings;
let stopLive: (() => void) | undefined;
let cleanup: (() => void) | void;

function nav(current: string): HTMLElement {
  const items = routes.filter((r) => r.nav && (!r.role || api.can(r.role)));
  // On a phone the navigation folds behind one button, so the header stays one line (~3 rem) instead of a quarter of the screen.
  const header = h('header', { class: 'top' });
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'menu-toggle',
      id: 'menu-toggle',
      'aria-expanded': 'false',
      'aria-controls': 'main-nav',
      onclick: () => {
        const open = header.classList.toggle('open');
        toggle.setAttribute('aria-expanded', String(open));
      },
    },
    `☰ ${t(routes.find((r) => r.path === current)?.title ?? 'menu')}`,
  );
  header.append(
    h('div', { class: 'brand' }, h('strong', {}, t('appTitle')), wardPicker()),
    toggle,
    h(
      'nav',
      { id: 'main-nav' },
      items.map((r) =>
        h(
          'a',
          { href: `#/${r.path}`, class: current === r.path ? 'active' : '', 'data-nav': r.path, onclick: () => header.classList.remove('open') },
          t(r.title),
        ),
      ),
    ),
    h(
      'div',
      { class: 'user' },
      h('span', { class: 'who', 'data-role': api.me?.role ?? '' }, `${api.me?.actor ?? ''} · ${t(`role_${api.me?.role ?? 'viewer'}`)}`),
      h('a', { class: 'link', id: 'account', href: '#/account' }, t('changePassword')),
      h(
        'button',
        {
          class: 'link',
          id: 'lang',
          onclick: () => {
            setLang(getLang() === 'vi' ? 'en' : 'vi');
            void render();
          },
        },
        t('language'),
      ),
      h(
        'button',
        {
          class: 'link',
          id: 'logout',
          onclick: () =>
            void api.logout().then(() => {
              stopLive?.();
              stopLive = undefined;
              location.hash = '';
              void render();
            }),
        },
        t('logout'),
      ),
    ),
  );
  return header;
}

/**
 * The ward shown in the header. A user who sees several wards picks one (or, province-wide, the whole province);
 * reports follow the choice. The server enforces the scope whatever is chosen here.
 */
function wardPicker(): HTMLElement {
  if (api.wards.length <= 1)
    return h('span', { class: 'ward', id: 'ward-name', 'data-ward': api.wards[0]?.code ?? settings.ward.code }, api.wards[0]?.name || settings.ward.name);
  const select = h(
    'select',
    {
      class: 'ward',
      id: 'ward-select',
      'aria-label': t('ward'),
      onchange: () => {
        api.chooseWard(select.value);
        void render();
      },
    },
    api.province() ? h('option', { value: '', selected: api.ward === '' }, t('wholeProvince')) : null,
    api.wards.map((w) => h('option', { value: w.code, selected: api.ward === w.code }, w.name || w.code)),
  );
  return select;
}

function match(hash: string): { page: Page; params: string[]; path: string } {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const path = parts[0] ?? 'overview';
  const page = routes.find((r) => r.path === path) ?? routes[0]!;
  return { page, params: parts.slice(1), path: page.path };
}

async function render(): Promise<void> {
  const root = document.getElementById('app')!;
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  clear(root);
  document.documentElement.lang = getLang();
  if (!api.me) {
    root.append(
      loginPage(async () => {
        await startSession();
        await render();
      }),
    );
    return;
  }
  const { page, params, path } = match(location.hash);
  const main = h('main', { class: `page page-${path}` });
  root.append(nav(path), main);
  if (page.role && !api.can(page.role)) {
    main.append(h('p', { class: 'error' }, t('notAvailable')));
    return;
  }
  const unstack = stackTables(main);
  try {
    const done = await page.render(main, params, settings);
    cleanup = () => {
      unstack();
      if (typeof done === 'function') done();
    };
  } catch (err) {
    cleanup = unstack;
    main.append(h('p', { class: 'error' }, `${t('error')}: ${(err as Error).message}`));
  }
}

async function startSession(preloaded?: Promise<boolean>): Promise<void> {
  // Kinds (labels, capabilities) and zone names are read once per session; pages draw from them.
  await Promise.all([preloaded ? preloaded.then((ok) => (ok ? undefined : fleet.load())) : fleet.load(), kinds.load().catch(() => undefined), zones.load()]);
  stopLive ??= api.live((name, data) => fleet.apply(name, data));
}

async function boot(): Promise<void> {
  // Settings, the session check and (with a stored token) the fleet in parallel: no round trip waits for another.
  const fleetEarly = api.token
    ? fleet.load().then(
        () => true,
        () => false,
      )
    : undefined;
  const [s, me] = await Promise.all([fetch('/settings.json').then((r) => r.json() as Promise<Settings>), api.loadMe()]);
  settings = s;
  setZone(s.ward.timezone);
  setLang(getLang());
  if (me) await startSession(fleetEarly);
  window.addEventListener('hashchange', () => void render());
  await render();
}

void boot();

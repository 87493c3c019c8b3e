import { h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { inboxPanel } from './inbox.ts';
import { outboxPanel } from './outbox.ts';
import './words.ts';

/** Panels refresh this often while the page is open (the outbox drains and retries on its own). */
const REFRESH_MS = 5000;

/**
 * The province link ("Kết nối tỉnh"): the outbox towards the province's system (backlog, oldest waiting, next attempt,
 * last error, the endpoint; an administrator's retry/export now) and the bulletins the province sent down (priority
 * per Circular 39/2020, what the ward did, what aired or was interrupted, the play logs reported back).
 */
export async function provincePage(root: HTMLElement): Promise<() => void> {
  let alive = true;
  const isAlive = (): boolean => alive;
  const outbox = outboxPanel(isAlive);
  const inbox = inboxPanel(isAlive);
  root.append(h('h1', {}, t('province')), inbox.el, outbox.el);
  let ticks = 0;
  // The inbox costs a few requests per bulletin: every third round, and at once on a live broadcast change.
  const refresh = (): void => {
    void outbox.load();
    if (++ticks % 3 === 0) void inbox.load();
  };
  const timer = setInterval(refresh, REFRESH_MS);
  const off = fleet.on('broadcast.update', () => void inbox.load());
  await Promise.all([outbox.load(), inbox.load()]);
  return () => {
    alive = false;
    clearInterval(timer);
    off();
  };
}

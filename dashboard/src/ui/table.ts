import { h, type Child } from '../dom.ts';

export interface Column<T> {
  head: string;
  cell: (row: T) => Child;
  /** 'num' right-aligns; 'actions' keeps buttons together; 'wrap' lets long text break. */
  class?: string;
}

/**
 * A data table that stays readable on a phone: every cell carries its column's name (data-label), and below 700 px
 * the CSS (table.grid.stack) shows each row as a card of "name: value" lines instead of columns that overflow.
 */
export function dataTable<T>(
  rows: T[],
  cols: Column<T>[],
  attrs: { id?: string; class?: string; rowAttrs?: (r: T) => Record<string, string | number | boolean | null | undefined> } = {},
): HTMLTableElement {
  return h(
    'table',
    { class: `grid stack ${attrs.class ?? ''}`.trim(), id: attrs.id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        cols.map((c) => h('th', { class: c.class }, c.head)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          attrs.rowAttrs?.(r) ?? {},
          cols.map((c) => h('td', { class: c.class, 'data-label': c.head }, c.cell(r))),
        ),
      ),
    ),
  );
}

/** A titled panel (section.panel) with an optional toolbar on the right of the title. */
export function panel(id: string, title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: 'panel', id }, h('h2', {}, title), ...body);
}

/**
 * Gives every data table under `root` the phone layout: cells learn their column's name from the header row. Runs
 * after every change of the page (one MutationObserver per page, coalesced per animation frame), so tables painted
 * by any panel get it without each one asking.
 */
export function stackTables(root: HTMLElement): () => void {
  let queued = false;
  const run = (): void => {
    queued = false;
    for (const table of root.querySelectorAll<HTMLTableElement>('table.grid')) {
      if (table.classList.contains('figures')) continue;
      table.classList.add('stack');
      const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
      if (!heads.length) continue;
      for (const tr of table.querySelectorAll('tbody tr')) {
        [...tr.children].forEach((td, i) => {
          if (td.tagName === 'TD' && !td.hasAttribute('data-label') && !td.hasAttribute('colspan')) td.setAttribute('data-label', heads[i] ?? '');
        });
      }
    }
  };
  const obs = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(run);
  });
  obs.observe(root, { childList: true, subtree: true });
  run();
  return () => obs.disconnect();
}

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
export function dataTable<T>(rows: T[], cols: Column<T>[], attrs: { id?: string; class?: string; rowAttrs?: (r: T) => Record<string, string | number | boolean | null | undefined> } = {}): HTMLTableElement {
  return h(
    'table',
    { class: `grid stack ${attrs.class ?? ''}`.trim(), id: attrs.id },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: c.class }, c.head)))),
    h('tbody', {}, rows.map((r) => h('tr', attrs.rowAttrs?.(r) ?? {}, cols.map((c) => h('td', { class: c.class, 'data-label': c.head }, c.cell(r)))))),
  );
}

/** A titled panel (section.panel) with an optional toolbar on the right of the title. */
export function panel(id: string, title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: 'panel', id }, h('h2', {}, title), ...body);
}

import { h, type Child } from '../dom.ts';

/** A labelled field for the form grids (label above input, full width on a phone). */
export const field = (label: string, input: HTMLElement, wide = false): HTMLElement => h('label', { class: wide ? 'wide' : undefined }, label, input);

/** A status line under a form: ok (green), error (red) or in progress. */
export function formMsg(id?: string): { el: HTMLElement; ok: (s: string) => void; error: (s: string) => void; busy: (s: string) => void; clear: () => void } {
  const el = h('p', { role: 'status', id, class: 'muted' });
  const set = (cls: string, s: string): void => {
    el.className = cls;
    el.textContent = s;
  };
  return { el, ok: (s) => set('ok', s), error: (s) => set('error', s), busy: (s) => set('muted', s), clear: () => set('muted', '') };
}

/** A form in a grid with its submit button; `onsubmit` gets the event already prevented. */
export function gridForm(attrs: Record<string, string>, onsubmit: () => void, ...children: Child[]): HTMLFormElement {
  return h(
    'form',
    {
      ...attrs,
      class: `edit-form ${attrs.class ?? ''}`.trim(),
      onsubmit: (e: Event) => {
        e.preventDefault();
        onsubmit();
      },
    },
    h('div', { class: 'form-grid' }, ...children),
  );
}

/** A number typed with a decimal comma or point; '' is null. */
export function readNumber(v: string): number | null {
  const s = v.trim().replace(',', '.');
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : Number.NaN;
}

import { formatDateTime, formatNumber } from './format.ts';
import { getLang } from './i18n.ts';
/** Tiny DOM builder: h('div', { class: 'x', onclick }, 'text', child). No framework, no virtual DOM. */
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
export type Child = Node | string | number | null | undefined | false | Child[];

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T | null => root.querySelector<T>(sel);

/** Local time in the ward's zone (SW_TIMEZONE): dd/mm/yyyy HH:mm:ss, 24 h, in either language. */
export function fmtTime(iso: string | null | undefined, _lang?: string): string {
  return formatDateTime(iso, { seconds: true });
}

/** A number with the page language's decimal mark (comma in Vietnamese, point in English). */
export function fmtNum(n: number | null | undefined, digits = 1): string {
  return formatNumber(n, getLang(), digits);
}

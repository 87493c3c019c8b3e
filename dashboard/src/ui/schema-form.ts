/**
 * A form built from a command's parameter schema (the TypeBox/JSON Schema that `GET /kinds` sends), labelled from the
 * kind's declaration: numbers with their range, booleans as a checkbox, a union of literals as a choice, date-times on
 * the ward's clock, text with its length and pattern. Optional fields left empty are not sent. A schema this cannot
 * render (arrays, nested objects) gives null: such a command is not offered as a form, never as a JSON box.
 */
import { h } from '../dom.ts';
import { getZone } from '../format.ts';
import { dateToZoned, zonedToDate } from './zoned.ts';

interface Schema {
  type?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
}

type Reader = () => { value?: unknown; error?: string };
export interface SchemaForm {
  fields: HTMLElement[];
  /** The parameters to send, or the first problem found (with the field's label). */
  read(): { params: Record<string, unknown> } | { error: string };
}

function literals(s: Schema): string[] | null {
  if (!s.anyOf?.length) return null;
  const vals = s.anyOf.map((x) => x.const);
  return vals.every((v) => typeof v === 'string') ? (vals as string[]) : null;
}

function field(name: string, s: Schema, label: string, required: boolean, msgs: FormWords): { el: HTMLElement; read: Reader } | null {
  const id = `p-${name}`;
  const opt = (el: HTMLElement): HTMLElement => h('label', { for: id }, `${label}${required ? '' : ` (${msgs.optional})`}`, el);
  const choices = literals(s);
  if (choices) {
    const sel = h(
      'select',
      { id, name, 'data-param': name },
      required ? null : h('option', { value: '' }, '—'),
      choices.map((c) => h('option', { value: c }, c)),
    );
    return { el: opt(sel), read: () => (sel.value === '' ? {} : { value: sel.value }) };
  }
  if (s.type === 'boolean') {
    const box = h('input', { id, name, type: 'checkbox', 'data-param': name });
    return { el: h('label', { class: 'inline', for: id }, box, ` ${label}`), read: () => ({ value: box.checked }) };
  }
  if (s.type === 'integer' || s.type === 'number') {
    const input = h('input', {
      id,
      name,
      type: 'number',
      'data-param': name,
      min: s.minimum,
      max: s.maximum,
      step: s.type === 'integer' ? 1 : 'any',
      required,
      inputmode: 'decimal',
    });
    return {
      el: opt(input),
      read: () => {
        const raw = input.value.trim().replace(',', '.');
        if (raw === '') return required ? { error: `${label}: ${msgs.required}` } : {};
        const n = Number(raw);
        if (!Number.isFinite(n) || (s.type === 'integer' && !Number.isInteger(n))) return { error: `${label}: ${msgs.number}` };
        if ((s.minimum !== undefined && n < s.minimum) || (s.maximum !== undefined && n > s.maximum))
          return { error: `${label}: ${s.minimum ?? '…'} – ${s.maximum ?? '…'}` };
        return { value: n };
      },
    };
  }
  if (s.type === 'string' && s.format === 'date-time') {
    const input = h('input', {
      id,
      name,
      type: 'datetime-local',
      'data-param': name,
      required,
      value: dateToZoned(new Date(Date.now() + 3_600_000), getZone()),
    });
    return {
      el: opt(input),
      read: () => (input.value ? { value: zonedToDate(input.value, getZone()).toISOString() } : required ? { error: `${label}: ${msgs.required}` } : {}),
    };
  }
  if (s.type === 'string') {
    const input = h('input', { id, name, 'data-param': name, maxlength: s.maxLength, minlength: s.minLength, pattern: s.pattern, required });
    return {
      el: opt(input),
      read: () => {
        const v = input.value.trim();
        if (v === '') return required ? { error: `${label}: ${msgs.required}` } : {};
        if (s.pattern && !new RegExp(s.pattern).test(v)) return { error: `${label}: ${msgs.pattern}` };
        return { value: v };
      },
    };
  }
  return null;
}

export interface FormWords {
  optional: string;
  required: string;
  number: string;
  pattern: string;
}

export function schemaForm(schema: unknown, labels: (param: string) => string, words: FormWords): SchemaForm | null {
  const s = schema as Schema;
  if (s.type !== 'object') return null;
  const req = new Set(s.required ?? []);
  const parts: { name: string; el: HTMLElement; read: Reader }[] = [];
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    const f = field(name, p, labels(name), req.has(name), words);
    if (!f) return null;
    parts.push({ name, ...f });
  }
  return {
    fields: parts.map((p) => p.el),
    read() {
      const params: Record<string, unknown> = {};
      for (const p of parts) {
        const r = p.read();
        if (r.error) return { error: r.error };
        if (r.value !== undefined) params[p.name] = r.value;
      }
      return { params };
    },
  };
}

import { api, ApiError } from '../../api.ts';
import type { CommandListItem as CommandItem } from '../../contract.ts';
import { fmtTime, h } from '../../dom.ts';
import { t } from '../../i18n.ts';
import { text, type KindInfo } from '../../kinds.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { schemaForm } from '../../ui/schema-form.ts';
import { dataTable } from '../../ui/table.ts';
import './words.ts';

const ORIGIN_PAGE: Record<string, string> = { lighting: 'lighting', radio: 'radio' };

/** A command's parameters in the kind's words: "Mức sáng (%): 65 · Đến lúc: 05/03/2026 18:30". */
function paramsText(kind: KindInfo | undefined, c: CommandItem): string {
  const labels = kind?.commands[c.name]?.paramLabels ?? {};
  return Object.entries(c.params)
    .map(
      ([k, v]) =>
        `${text(labels[k], k)}: ${typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? fmtTime(v) : Array.isArray(v) ? `[${v.length}]` : typeof v === 'object' && v !== null ? '…' : String(v)}`,
    )
    .join(' · ');
}

/**
 * Commands sent to the device with this device's own result, and — for operators — a form per command the kind offers
 * (built from the command's parameter schema), plus the lighting override when the kind is a dimmable light.
 */
export function commandsPanel(deviceId: string, kind: KindInfo | undefined, alive: () => boolean): { el: HTMLElement; load: () => Promise<void> } {
  const enc = encodeURIComponent(deviceId);
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const el = h('section', { class: 'panel', id: 'device-commands' }, h('h2', {}, t('commands')), body);
  const cmdLabel = (name: string): string => text(kind?.commands[name]?.label, name);

  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: CommandItem[] }>(`/api/v1/commands?device=${enc}&limit=20`);
      if (!alive()) return;
      body.replaceChildren(
        r.items.length
          ? dataTable(
              r.items,
              [
                { head: t('time'), cell: (c) => fmtTime(c.createdAt) },
                {
                  head: t('dp_command'),
                  class: 'wrap',
                  cell: (c) => [
                    h('strong', { 'data-command-name': c.name }, cmdLabel(c.name)),
                    Object.keys(c.params).length ? h('div', { class: 'muted small' }, paramsText(kind, c)) : null,
                  ],
                },
                { head: t('dp_sentBy'), cell: (c) => `${c.createdBy}${c.origin !== 'api' ? ` (${t(ORIGIN_PAGE[c.origin] ?? c.origin)})` : ''}` },
                {
                  head: t('status'),
                  cell: (c) => h('span', { class: `badge ${c.delivery?.state ?? c.state}` }, c.delivery ? t(`dstate_${c.delivery.state}`) : text(c.stateLabel)),
                },
                { head: t('dp_attempts'), cell: (c) => (c.delivery ? String(c.delivery.attempts) : '—') },
                {
                  head: t('result'),
                  class: 'wrap',
                  cell: (c) => [
                    [c.delivery?.ackStatus, c.delivery?.error].filter(Boolean).join(' · ') || '—',
                    c.delivery?.finishedAt ? h('div', { class: 'muted small' }, fmtTime(c.delivery.finishedAt)) : null,
                  ],
                },
              ],
              { id: 'command-table', rowAttrs: (c) => ({ 'data-command': c.id, 'data-state': c.delivery?.state ?? c.state }) },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      if (alive())
        body.replaceChildren(
          h('p', { class: 'muted' }, e instanceof ApiError && e.status === 404 ? t('notAvailable') : `${t('dp_loadFailed')}: ${(e as Error).message}`),
        );
    }
  };

  const out = h('p', { role: 'status', id: 'cmd-result' });
  const report = (p: Promise<{ id?: string; commands?: { id: string }[] }>): void => {
    out.className = 'muted';
    out.textContent = t('loading');
    p.then(
      (r) => {
        if (!alive()) return;
        out.className = 'ok';
        out.textContent = `${t('dp_commandSent')}: ${r.id ?? r.commands?.map((c) => c.id).join(', ') ?? ''}`;
        void load();
      },
      (err: unknown) => {
        if (!alive()) return;
        out.className = 'error';
        out.textContent = errorText(err);
      },
    );
  };

  if (kind && api.can('operator')) {
    const words = { optional: t('dp_optional'), required: t('dp_required'), number: t('dp_number'), pattern: t('dp_pattern') };
    const forms: HTMLElement[] = [];
    if (kind.capabilities.lighting) forms.push(lightForm(deviceId, report));
    for (const [name, c] of Object.entries(kind.commands)) {
      if (!c.form) continue;
      const f = schemaForm(c.params, (p) => text(c.paramLabels[p], p), words);
      if (!f) continue;
      forms.push(
        h(
          'form',
          {
            class: 'send-command',
            'data-role-min': 'operator',
            'data-command': name,
            onsubmit: (e: Event) => {
              e.preventDefault();
              const r = f.read();
              if ('error' in r) {
                out.className = 'error';
                out.textContent = r.error;
                return;
              }
              report(api.request('POST', '/api/v1/commands', { name, params: r.params, target: { type: 'device', id: deviceId } }));
            },
          },
          h('h3', { title: c.doc }, cmdLabel(name)),
          h('div', { class: 'form-grid' }, f.fields, h('button', { type: 'submit', class: 'primary' }, t('dp_send'))),
        ),
      );
    }
    if (forms.length) el.append(h('div', { class: 'command-forms' }, forms), out);
  }
  return { el, load };
}

/** A light is dimmed through the lighting service, so the override is recorded with its end (and listed on Lighting). */
function lightForm(deviceId: string, report: (p: Promise<{ commands?: { id: string }[] }>) => void): HTMLElement {
  const level = h('input', { type: 'number', id: 'dev-light-level', min: 0, max: 100, step: 1, value: 50, required: true, inputmode: 'numeric' });
  const minutes = h(
    'select',
    { id: 'dev-light-duration' },
    [
      [15, 'min15'],
      [60, 'h1'],
      [240, 'h4'],
      [720, 'h12'],
    ].map(([m, k]) => h('option', { value: m, selected: m === 60 }, t(String(k)))),
  );
  const send = (lvl: number): void =>
    report(api.request('POST', '/api/v1/lighting/override', { target: { type: 'device', id: deviceId }, level: lvl, durationS: Number(minutes.value) * 60 }));
  return gated(
    h(
      'form',
      {
        class: 'send-command',
        id: 'dev-light',
        onsubmit: (e: Event) => {
          e.preventDefault();
          send(Number(level.value));
        },
      },
      h('h3', {}, t('dp_light')),
      h(
        'div',
        { class: 'form-grid' },
        h('label', {}, t('level'), level),
        h('label', {}, t('duration'), minutes),
        h('button', { type: 'submit', class: 'primary', id: 'dev-light-apply' }, t('apply')),
        h(
          'button',
          {
            type: 'button',
            id: 'dev-light-resume',
            onclick: () => report(api.request('POST', '/api/v1/lighting/resume', { target: { type: 'device', id: deviceId } })),
          },
          t('resume'),
        ),
      ),
      h('p', { class: 'muted small' }, t('dp_lightHint')),
    ),
  );
}

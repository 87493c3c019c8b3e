import { api } from '../../api.ts';
import { clear, fmtTime, h } from '../../dom.ts';
import type { FleetDevice } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import type { Zone } from '../../zones.ts';
import { stepText, type Assignment, type Calendar, type Program, type Rule, type Step } from './schedule-text.ts';
import './words.ts';

const ID_PATTERN = '[a-z0-9][a-z0-9._-]{0,62}';
const errText = errorText;

export interface ProgramDeps {
  lights: () => FleetDevice[];
  zones: Zone[];
  wardCode: string;
  alive: () => boolean;
  /** Saving pushes programs to lights: the page follows those commands on its ack panel. */
  followPush: (commandIds: string[]) => Promise<void>;
}

/** Lighting programs, calendars and their assignments (to the whole ward, a zone or a light), with forms. */
export function programsPanels(o: ProgramDeps): { el: HTMLElement; reload: () => Promise<void> } {
  // ── Programs, calendars, assignments ────────────────────────────────────────────────────────────────────────────
  const progBox = h('section', { class: 'panel', id: 'lt-programs' });
  const calBox = h('section', { class: 'panel', id: 'lt-calendars' });
  const asgBox = h('section', { class: 'panel', id: 'lt-assignments' });
  const el = h('div', {}, h('div', { class: 'two' }, progBox, calBox), asgBox);
  const zoneLabel = (id: string): string => o.zones.find((z) => z.id === id)?.name ?? id;
  const lights = o.lights;
  let programs: Program[] = [];
  let calendars: Calendar[] = [];
  let assignments: Assignment[] = [];

  const note = (box: HTMLElement, text: string, cls = 'muted'): void => {
    box.querySelector('.form-msg')?.remove();
    box.append(h('p', { class: `form-msg ${cls}`, role: 'status' }, text));
  };
  // Saving pushes programs to the lights whose program changed: one command per program and kind, followed on the ack panel.
  const pushedText = (r: { pushed?: { commands: string[] } }): string => {
    if (r.pushed?.commands.length) void o.followPush(r.pushed.commands);
    return r.pushed ? `${t('saved')} · ${r.pushed.commands.length} ${t('pushCommands')}` : t('saved');
  };
  const remove = async (box: HTMLElement, url: string): Promise<void> => {
    if (!confirm(t('confirmDelete'))) return;
    try {
      await api.request('DELETE', url);
      await reload();
    } catch (e) {
      note(box, errText(e), 'error');
    }
  };

  const stepRow = (s: Step | null, holder: HTMLElement): HTMLElement => {
    const kind = h(
      'select',
      { class: 'st-kind' },
      h('option', { value: 'time' }, t('fixedTime')),
      h('option', { value: 'sunset' }, t('sunset')),
      h('option', { value: 'sunrise' }, t('sunrise')),
    );
    kind.value = !s || /^\d/.test(s.at) ? 'time' : s.at;
    const time = h('input', { type: 'time', class: 'st-time', value: s && /^\d/.test(s.at) ? s.at : '18:00' });
    const offset = h('input', { type: 'number', class: 'st-offset', min: -180, max: 180, value: s?.offsetMin ?? 0, style: 'width:5rem' });
    const lvl = h('input', { type: 'number', class: 'st-level', min: 0, max: 100, value: s?.level ?? 100, required: true, style: 'width:5rem' });
    const rmp = h('input', { type: 'number', class: 'st-ramp', min: 0, max: 3600, value: s?.rampS ?? 0, style: 'width:5rem' });
    const sync = (): void => void (time.hidden = kind.value !== 'time');
    kind.addEventListener('change', sync);
    sync();
    const row = h(
      'div',
      { class: 'filters step-row' },
      h('label', {}, t('at'), kind),
      h('label', {}, '\u00a0', time),
      h('label', {}, t('offsetMin'), offset),
      h('label', {}, t('level'), lvl),
      h('label', {}, t('rampS'), rmp),
      h('button', { type: 'button', onclick: () => row.remove() }, t('remove')),
    );
    holder.append(row);
    return row;
  };
  const readSteps = (holder: HTMLElement): Step[] =>
    [...holder.querySelectorAll<HTMLElement>('.step-row')].map((r) => {
      const v = (sel: string): string => (r.querySelector(sel) as HTMLInputElement).value;
      const step: Step = { at: v('.st-kind') === 'time' ? v('.st-time') : v('.st-kind'), level: Number(v('.st-level')) };
      if (Number(v('.st-offset'))) step.offsetMin = Number(v('.st-offset'));
      if (Number(v('.st-ramp'))) step.rampS = Number(v('.st-ramp'));
      return step;
    });

  const programForm = (p: Program | null): HTMLElement => {
    const id = h('input', { name: 'id', required: true, pattern: ID_PATTERN, value: p?.id ?? '', readonly: p !== null, placeholder: t('idHint') });
    const name = h('input', { name: 'name', required: true, value: p?.name ?? '' });
    const steps = h('div', { class: 'steps' });
    for (const s of p?.steps ?? [
      { at: 'sunset', level: 100 },
      { at: '23:00', level: 50 },
      { at: 'sunrise', level: 0 },
    ])
      stepRow(s, steps);
    const form = h(
      'form',
      {
        class: 'edit-form',
        id: 'program-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void api
            .request<{ pushed?: { commands: string[] } }>('PUT', `/api/v1/lighting/programs/${encodeURIComponent(id.value)}`, {
              name: name.value,
              steps: readSteps(steps),
            })
            .then(
              async (r) => {
                await reload();
                note(progBox, pushedText(r));
              },
              (err: unknown) => note(form, errText(err), 'error'),
            );
        },
      },
      h('div', { class: 'filters' }, h('label', {}, 'ID', id), h('label', {}, t('name'), name)),
      h('strong', {}, t('steps')),
      steps,
      h(
        'div',
        { class: 'filters' },
        h('button', { type: 'button', onclick: () => stepRow(null, steps) }, t('addStep')),
        h('button', { type: 'submit', class: 'primary' }, t('save')),
        h('button', { type: 'button', onclick: () => form.remove() }, t('cancel')),
      ),
    );
    return form;
  };

  const ruleRow = (r: Rule | null, holder: HTMLElement): void => {
    const name = h('input', { class: 'ru-name', value: r?.name ?? '', style: 'width:9rem' });
    const from = h('input', {
      class: 'ru-from',
      required: true,
      pattern: '(\\d{4}-)?\\d{2}-\\d{2}',
      placeholder: 'MM-DD',
      value: r?.from ?? '',
      style: 'width:8rem',
    });
    const to = h('input', {
      class: 'ru-to',
      required: true,
      pattern: '(\\d{4}-)?\\d{2}-\\d{2}',
      placeholder: 'MM-DD',
      value: r?.to ?? '',
      style: 'width:8rem',
    });
    const days = h(
      'span',
      { class: 'inline ru-days' },
      [1, 2, 3, 4, 5, 6, 7].map((d) =>
        h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: d, checked: r?.weekdays?.includes(d) ?? false }), d === 7 ? 'CN' : `T${d + 1}`),
      ),
    );
    const prog = h(
      'select',
      { class: 'ru-program', required: true },
      programs.map((p) => h('option', { value: p.id, selected: p.id === r?.programId }, p.name)),
    );
    const row = h(
      'div',
      { class: 'filters rule-row' },
      h('label', {}, t('name'), name),
      h('label', {}, t('from'), from),
      h('label', {}, t('to'), to),
      h('label', {}, t('weekdays'), days),
      h('label', {}, t('program'), prog),
      h('button', { type: 'button', onclick: () => row.remove() }, t('remove')),
    );
    holder.append(row);
  };
  const readRules = (holder: HTMLElement): Rule[] =>
    [...holder.querySelectorAll<HTMLElement>('.rule-row')].map((row) => {
      const v = (sel: string): string => (row.querySelector(sel) as HTMLInputElement).value;
      const rule: Rule = { from: v('.ru-from'), to: v('.ru-to'), programId: v('.ru-program') };
      if (v('.ru-name')) rule.name = v('.ru-name');
      const wd = [...row.querySelectorAll<HTMLInputElement>('.ru-days input:checked')].map((x) => Number(x.value));
      if (wd.length) rule.weekdays = wd;
      return rule;
    });

  const calendarForm = (c: Calendar | null): HTMLElement => {
    const id = h('input', { name: 'id', required: true, pattern: ID_PATTERN, value: c?.id ?? '', readonly: c !== null, placeholder: t('idHint') });
    const name = h('input', { name: 'name', required: true, value: c?.name ?? '' });
    const def = h(
      'select',
      { name: 'defaultProgramId', required: true },
      programs.map((p) => h('option', { value: p.id, selected: p.id === c?.defaultProgramId }, p.name)),
    );
    const rules = h('div', { class: 'rules' });
    for (const r of c?.rules ?? []) ruleRow(r, rules);
    const form = h(
      'form',
      {
        class: 'edit-form',
        id: 'calendar-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void api
            .request<{ pushed?: { commands: string[] } }>('PUT', `/api/v1/lighting/calendars/${encodeURIComponent(id.value)}`, {
              name: name.value,
              defaultProgramId: def.value,
              rules: readRules(rules),
            })
            .then(
              async (r) => {
                await reload();
                note(calBox, pushedText(r));
              },
              (err: unknown) => note(form, errText(err), 'error'),
            );
        },
      },
      h('div', { class: 'filters' }, h('label', {}, 'ID', id), h('label', {}, t('name'), name), h('label', {}, t('defaultProgram'), def)),
      h('strong', {}, t('rules')),
      rules,
      h(
        'div',
        { class: 'filters' },
        h('button', { type: 'button', onclick: () => ruleRow(null, rules) }, t('addRule')),
        h('button', { type: 'submit', class: 'primary' }, t('save')),
        h('button', { type: 'button', onclick: () => form.remove() }, t('cancel')),
      ),
    );
    return form;
  };

  const assignmentForm = (): HTMLElement => {
    const type = h(
      'select',
      { name: 'targetType' },
      h('option', { value: 'ward' }, t('wholeWard')),
      h('option', { value: 'zone' }, t('zone')),
      h('option', { value: 'device' }, t('device')),
    );
    const zoneSel = h(
      'select',
      { name: 'zone', hidden: true },
      o.zones.map((z) => h('option', { value: z.id }, z.name)),
    );
    const devSel = h(
      'select',
      { name: 'device', hidden: true },
      lights().map((d) => h('option', { value: d.id }, d.name === d.id ? d.id : `${d.name} · ${d.id}`)),
    );
    type.addEventListener('change', () => {
      zoneSel.hidden = type.value !== 'zone';
      devSel.hidden = type.value !== 'device';
    });
    const what = h(
      'select',
      { name: 'what', required: true },
      h(
        'optgroup',
        { label: t('calendars') },
        calendars.map((c) => h('option', { value: `cal:${c.id}` }, c.name)),
      ),
      h(
        'optgroup',
        { label: t('programs') },
        programs.map((p) => h('option', { value: `prog:${p.id}` }, p.name)),
      ),
    );
    const form = h(
      'form',
      {
        class: 'edit-form',
        id: 'assignment-form',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const [k, ...rest] = what.value.split(':');
          const ref = rest.join(':');
          const targetId = type.value === 'ward' ? o.wardCode : type.value === 'zone' ? zoneSel.value : devSel.value;
          const body = { targetType: type.value, targetId, ...(k === 'cal' ? { calendarId: ref } : { programId: ref }) };
          void api.request<{ pushed?: { commands: string[] } }>('PUT', '/api/v1/lighting/assignments', body).then(
            async (r) => {
              await reload();
              note(asgBox, pushedText(r));
            },
            (err: unknown) => note(form, errText(err), 'error'),
          );
        },
      },
      h(
        'div',
        { class: 'filters' },
        h('label', {}, t('target'), type),
        h('label', {}, '\u00a0', zoneSel, devSel),
        h('label', {}, `${t('calendar')} / ${t('program')}`, what),
        h('button', { type: 'submit', class: 'primary' }, t('save')),
        h('button', { type: 'button', onclick: () => form.remove() }, t('cancel')),
      ),
    );
    return form;
  };

  const openForm = (box: HTMLElement, form: HTMLElement): void => {
    box.querySelector('form.edit-form')?.remove();
    box.querySelector('.form-msg')?.remove();
    box.append(form);
    form.querySelector<HTMLElement>('input:not([readonly]), select')?.focus();
  };

  const paintPrograms = (): void => {
    clear(progBox);
    progBox.append(
      h('h2', {}, t('programs')),
      programs.length
        ? h(
            'table',
            { class: 'grid' },
            h(
              'tbody',
              {},
              programs.map((p) =>
                h(
                  'tr',
                  { 'data-program': p.id },
                  h('td', {}, h('strong', {}, p.name), h('br'), h('small', { class: 'muted' }, p.id)),
                  h('td', {}, p.steps.map(stepText).join(' · ')),
                  h(
                    'td',
                    { class: 'actions' },
                    gated(
                      h(
                        'span',
                        {},
                        h('button', { type: 'button', onclick: () => openForm(progBox, programForm(p)) }, t('edit')),
                        ' ',
                        h(
                          'button',
                          { type: 'button', onclick: () => void remove(progBox, `/api/v1/lighting/programs/${encodeURIComponent(p.id)}`) },
                          t('delete'),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('noData')),
      gated(h('button', { type: 'button', id: 'program-new', onclick: () => openForm(progBox, programForm(null)) }, t('newProgram'))),
    );
  };
  const paintCalendars = (): void => {
    clear(calBox);
    const pname = (id: string): string => programs.find((p) => p.id === id)?.name ?? id;
    calBox.append(
      h('h2', {}, t('calendars')),
      calendars.length
        ? h(
            'table',
            { class: 'grid' },
            h(
              'tbody',
              {},
              calendars.map((c) =>
                h(
                  'tr',
                  { 'data-calendar': c.id },
                  h('td', {}, h('strong', {}, c.name), h('br'), h('small', { class: 'muted' }, c.id)),
                  h(
                    'td',
                    {},
                    `${t('defaultProgram')}: ${pname(c.defaultProgramId)}`,
                    c.rules.map((r) =>
                      h(
                        'div',
                        { class: 'small' },
                        `${r.name ? `${r.name}: ` : ''}${r.from} → ${r.to}${r.weekdays ? ` [${r.weekdays.join(',')}]` : ''} · ${pname(r.programId)}`,
                      ),
                    ),
                  ),
                  h(
                    'td',
                    { class: 'actions' },
                    gated(
                      h(
                        'span',
                        {},
                        h('button', { type: 'button', onclick: () => openForm(calBox, calendarForm(c)) }, t('edit')),
                        ' ',
                        h(
                          'button',
                          { type: 'button', onclick: () => void remove(calBox, `/api/v1/lighting/calendars/${encodeURIComponent(c.id)}`) },
                          t('delete'),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('noData')),
      gated(
        h(
          'button',
          { type: 'button', id: 'calendar-new', disabled: programs.length === 0, onclick: () => openForm(calBox, calendarForm(null)) },
          t('newCalendar'),
        ),
      ),
    );
  };
  const paintAssignments = (): void => {
    clear(asgBox);
    const name = (a: Assignment): string =>
      a.calendarId
        ? `${t('calendar')}: ${calendars.find((c) => c.id === a.calendarId)?.name ?? a.calendarId}`
        : `${t('program')}: ${programs.find((p) => p.id === a.programId)?.name ?? a.programId ?? ''}`;
    asgBox.append(
      h('h2', {}, t('assignments')),
      assignments.length
        ? h(
            'table',
            { class: 'grid stack' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [t('target'), `${t('calendar')} / ${t('program')}`, t('assignedBy'), t('time'), ''].map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              assignments.map((a) =>
                h(
                  'tr',
                  { 'data-assignment': `${a.targetType}:${a.targetId}` },
                  h(
                    'td',
                    { 'data-label': t('target') },
                    a.targetType === 'ward'
                      ? t('wholeWard')
                      : a.targetType === 'zone'
                        ? `${t('zone')} ${zoneLabel(a.targetId)}`
                        : `${t('device')} ${a.targetId}`,
                  ),
                  h('td', { 'data-label': `${t('calendar')} / ${t('program')}` }, name(a)),
                  h('td', { 'data-label': t('assignedBy') }, a.assignedBy),
                  h('td', { 'data-label': t('time') }, fmtTime(a.assignedAt)),
                  h(
                    'td',
                    { class: 'actions' },
                    gated(
                      h(
                        'button',
                        {
                          type: 'button',
                          onclick: () => void remove(asgBox, `/api/v1/lighting/assignments/${a.targetType}/${encodeURIComponent(a.targetId)}`),
                        },
                        t('delete'),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('noData')),
      gated(
        h(
          'button',
          { type: 'button', id: 'assignment-new', disabled: programs.length + calendars.length === 0, onclick: () => openForm(asgBox, assignmentForm()) },
          t('newAssignment'),
        ),
      ),
    );
  };
  async function reload(): Promise<void> {
    const [p, c, a] = await Promise.all([
      api.get<{ items: Program[] }>('/api/v1/lighting/programs'),
      api.get<{ items: Calendar[] }>('/api/v1/lighting/calendars'),
      api.get<{ items: Assignment[] }>('/api/v1/lighting/assignments'),
    ]);
    if (!o.alive()) return;
    programs = p.items;
    calendars = c.items;
    assignments = a.items;
    paintPrograms();
    paintCalendars();
    paintAssignments();
  }
  return { el, reload };
}

import { api } from '../../api.ts';
import type { AlarmRule as Rule, Camera as CameraView, MaintenanceWindow as Window, Webhook as Hook } from '../../contract.ts';
import { fmtNum, fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { getZone } from '../../format.ts';
import { t } from '../../i18n.ts';
import { kindLabel, kinds, text } from '../../kinds.ts';
import { field, formMsg, gridForm, readNumber } from '../../ui/forms.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable, panel } from '../../ui/table.ts';
import { dateToZoned, zonedToDate } from '../../ui/zoned.ts';
import { zones } from '../../zones.ts';
import './words.ts';

const groupSelect = (): HTMLSelectElement =>
  h(
    'select',
    { name: 'groupId' },
    h('option', { value: '' }, '—'),
    zones.items.filter((z) => z.kind === 'residential_group').map((z) => h('option', { value: z.id }, z.name)),
  );

/** Cameras: register one (the service contacts it over ONVIF first), change its connection, discover on the camera LAN. */
export function camerasTab(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const msg = formMsg('mg-cam-msg');
  const address = h('input', { name: 'address', required: true, placeholder: 'http://10.20.0.31/onvif/device_service' });
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: CameraView[] }>('/api/v1/cameras?limit=1000');
      body.replaceChildren(
        dataTable(
          r.items,
          [
            { head: t('name'), cell: (c) => h('a', { href: `#/cameras/${encodeURIComponent(c.id)}` }, c.name) },
            { head: t('group'), cell: (c) => zones.name(c.groupId) },
            { head: t('mg_onvif'), class: 'wrap', cell: (c) => c.onvif.address },
            { head: t('cam.model'), cell: (c) => [c.onvif.deviceInfo.manufacturer, c.onvif.deviceInfo.model].filter(Boolean).join(' ') || '—' },
          ],
          { id: 'mg-cam-table', rowAttrs: (c) => ({ 'data-camera': c.id }) },
        ),
      );
    } catch (e) {
      body.replaceChildren(h('p', { class: 'muted' }, errorText(e)));
    }
  };
  const name = h('input', { name: 'name', required: true, maxlength: 128 });
  const user = h('input', { name: 'username', required: true, autocomplete: 'off' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'new-password' });
  const group = groupSelect();
  const lat = h('input', { name: 'lat', inputmode: 'decimal' });
  const lon = h('input', { name: 'lon', inputmode: 'decimal' });
  const form = gridForm(
    { id: 'mg-cam-add' },
    () => {
      const la = readNumber(lat.value);
      const lo = readNumber(lon.value);
      if (Number.isNaN(la) || Number.isNaN(lo)) return msg.error(`${t('mg_lat')} / ${t('mg_lon')}`);
      msg.busy(t('loading'));
      api
        .request<{ id: string }>('POST', '/api/v1/cameras', {
          name: name.value.trim(),
          connection: { address: address.value.trim(), username: user.value.trim(), password: pass.value },
          ...(group.value ? { groupId: group.value } : {}),
          ...(la !== null ? { lat: la } : {}),
          ...(lo !== null ? { lon: lo } : {}),
        })
        .then(
          async (r) => {
            msg.ok(`${t('mg_created')}: ${r.id}`);
            form.reset();
            await Promise.all([load(), fleet.load()]);
          },
          (e: unknown) => msg.error(errorText(e)),
        );
    },
    field(t('name'), name),
    field(t('mg_onvif'), address),
    field(t('mg_username'), user),
    field(t('mg_password'), pass),
    field(t('group'), group),
    field(t('mg_lat'), lat),
    field(t('mg_lon'), lon),
    h('button', { type: 'submit', class: 'primary' }, t('mg_add')),
  );
  const found = h('div', { id: 'mg-cam-found' });
  const discover = (): void => {
    found.replaceChildren(h('p', { class: 'muted' }, t('loading')));
    api.request<{ items: { address?: string; xaddrs?: string[]; name?: string }[] }>('POST', '/api/v1/cameras/discover', {}).then(
      (r) =>
        found.replaceChildren(
          r.items.length
            ? h(
                'ul',
                {},
                r.items.map((x) => {
                  const a = x.xaddrs?.[0] ?? x.address ?? '';
                  return h('li', {}, `${x.name ?? ''} ${a} `, h('button', { type: 'button', onclick: () => (address.value = a) }, t('mg_use')));
                }),
              )
            : h('p', { class: 'muted' }, t('noData')),
        ),
      (e: unknown) => found.replaceChildren(h('p', { class: 'error' }, errorText(e))),
    );
  };
  void load();
  return h(
    'div',
    {},
    gated(
      panel('mg-cam', t('mg_cameras'), form, msg.el, h('button', { type: 'button', id: 'mg-cam-discover', onclick: discover }, t('mg_discover')), found),
      'admin',
    ),
    panel('mg-cam-list', t('cameras'), body),
  );
}

/** Planned maintenance: the devices it covers count as planned downtime, raise no offline alarm, show blue on the map. */
export function maintenanceTab(wardCode: string): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const msg = formMsg('mg-mw-msg');
  const scopeName = (s: { type: string; id: string }): string =>
    s.type === 'ward' ? t('sc_ward') : s.type === 'zone' ? zones.name(s.id) : s.type === 'kind' ? kindLabel(s.id) : (fleet.devices.get(s.id)?.name ?? s.id);
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: Window[] }>(`/api/v1/maintenance-windows?from=${new Date(Date.now() - 30 * 86_400_000).toISOString()}`);
      body.replaceChildren(
        r.items.length
          ? dataTable(
              r.items,
              [
                { head: t('mg_title'), cell: (w) => h('strong', {}, w.title) },
                { head: t('mg_scope'), cell: (w) => `${t(`sc_${w.scope.type}`)}: ${scopeName(w.scope)}` },
                { head: t('mg_from'), cell: (w) => fmtTime(w.from) },
                { head: t('mg_to'), cell: (w) => fmtTime(w.to) },
                { head: t('dp_sentBy'), cell: (w) => w.createdBy },
                {
                  head: '',
                  class: 'actions',
                  cell: (w) =>
                    gated(
                      h(
                        'button',
                        {
                          type: 'button',
                          onclick: () =>
                            void api.request('DELETE', `/api/v1/maintenance-windows/${w.id}`).then(
                              () => void load(),
                              (e: unknown) => msg.error(errorText(e)),
                            ),
                        },
                        t('mg_delete'),
                      ),
                    ),
                },
              ],
              { id: 'mg-mw-table', rowAttrs: (w) => ({ 'data-window': w.id }) },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  };
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const type = h(
    'select',
    { name: 'scopeType' },
    ['zone', 'ward', 'kind', 'device'].map((s) => h('option', { value: s }, t(`sc_${s}`))),
  );
  const zoneSel = h(
    'select',
    { name: 'zone' },
    zones.items.map((z) => h('option', { value: z.id }, z.name)),
  );
  const kindSel = h(
    'select',
    { name: 'kind', hidden: true },
    kinds.all().map((k) => h('option', { value: k.name }, text(k.label))),
  );
  const devInput = h('input', { name: 'device', hidden: true, list: 'mg-device-ids', placeholder: 'ID' });
  type.addEventListener('change', () => {
    zoneSel.hidden = type.value !== 'zone';
    kindSel.hidden = type.value !== 'kind';
    devInput.hidden = type.value !== 'device';
  });
  const now = Date.now();
  const from = h('input', { name: 'from', type: 'datetime-local', required: true, value: dateToZoned(new Date(now), getZone()) });
  const to = h('input', { name: 'to', type: 'datetime-local', required: true, value: dateToZoned(new Date(now + 4 * 3_600_000), getZone()) });
  const form = gridForm(
    { id: 'mg-mw-add' },
    () => {
      const id = type.value === 'ward' ? wardCode : type.value === 'zone' ? zoneSel.value : type.value === 'kind' ? kindSel.value : devInput.value.trim();
      api
        .request('POST', '/api/v1/maintenance-windows', {
          title: title.value.trim(),
          scope: { type: type.value, id },
          from: zonedToDate(from.value, getZone()).toISOString(),
          to: zonedToDate(to.value, getZone()).toISOString(),
        })
        .then(
          () => {
            msg.ok(t('mg_saved'));
            form.reset();
            void load();
          },
          (e: unknown) => msg.error(errorText(e)),
        );
    },
    field(t('mg_title'), title),
    field(t('mg_scope'), type),
    field('\u00a0', h('span', {}, zoneSel, kindSel, devInput)),
    field(t('mg_from'), from),
    field(t('mg_to'), to),
    h('button', { type: 'submit', class: 'primary' }, t('mg_add')),
  );
  void load();
  return panel('mg-maintenance', t('mg_maintenance'), gated(form), msg.el, body);
}

const SEVERITIES = ['info', 'warning', 'critical'] as const;

/** Alarm rules per kind (on/off, severity, thresholds; reset to the kind's default) and webhooks that receive alarms. */
export function alarmRulesTab(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const msg = formMsg('mg-rule-msg');
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: Rule[] }>('/api/v1/alarm-rules');
      body.replaceChildren(
        dataTable(
          r.items,
          [
            { head: t('kind'), cell: (x) => kindLabel(x.kind) },
            { head: t('alm.alarm'), cell: (x) => [text(x.label), x.overridden ? h('span', { class: 'muted small' }, ` (${t('mg_overridden')})`) : ''] },
            {
              head: t('mg_enabled'),
              cell: (x) =>
                gated(
                  h('input', {
                    type: 'checkbox',
                    class: 'rule-enabled',
                    checked: x.enabled,
                    onchange: (e: Event) => save(x, { enabled: (e.target as HTMLInputElement).checked }),
                  }),
                  'admin',
                ),
            },
            {
              head: t('mg_severity'),
              cell: (x) =>
                gated(
                  h(
                    'select',
                    { class: 'rule-severity', onchange: (e: Event) => save(x, { severity: (e.target as HTMLSelectElement).value }) },
                    SEVERITIES.map((s) => h('option', { value: s, selected: s === x.severity }, t(`alm.sev_${s}`))),
                  ),
                  'admin',
                ),
            },
            { head: t('mg_params'), class: 'wrap', cell: (x) => paramsEditor(x) },
            {
              head: '',
              class: 'actions',
              cell: (x) =>
                x.overridden
                  ? gated(
                      h(
                        'button',
                        {
                          type: 'button',
                          onclick: () =>
                            void api.request('DELETE', `/api/v1/alarm-rules/${encodeURIComponent(x.kind)}/${x.rule}`).then(
                              () => void load(),
                              (e: unknown) => msg.error(errorText(e)),
                            ),
                        },
                        t('mg_reset'),
                      ),
                      'admin',
                    )
                  : '',
            },
          ],
          { id: 'mg-rule-table', rowAttrs: (x) => ({ 'data-rule': `${x.kind}/${x.rule}` }) },
        ),
      );
    } catch (e) {
      body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  };
  const save = (x: Rule, b: Record<string, unknown>): void => {
    api.request('PUT', `/api/v1/alarm-rules/${encodeURIComponent(x.kind)}/${x.rule}`, b).then(
      () => {
        msg.ok(`${t('mg_saved')}: ${text(x.label)}`);
        void load();
      },
      (e: unknown) => msg.error(errorText(e)),
    );
  };
  const paramsEditor = (x: Rule): HTMLElement => {
    const nums = Object.entries(x.trigger).filter(([, v]) => typeof v === 'number') as [string, number][];
    if (!nums.length) return h('span', { class: 'muted' }, '—');
    const inputs = nums.map(
      ([k, v]) => [k, h('input', { class: 'rule-param', 'data-param': k, value: fmtNum(v, 3), size: 6, inputmode: 'decimal', 'aria-label': k })] as const,
    );
    return h(
      'span',
      { class: 'inline' },
      inputs.map(([k, i]) => h('label', { class: 'inline' }, `${k} `, i)),
      gated(
        h(
          'button',
          {
            type: 'button',
            class: 'rule-save',
            onclick: () => {
              const params: Record<string, number> = {};
              for (const [k, i] of inputs) params[k] = readNumber(i.value) ?? Number.NaN;
              save(x, { params });
            },
          },
          t('mg_save'),
        ),
        'admin',
      ),
    );
  };
  void load();
  return h('div', {}, panel('mg-rules', t('mg_rules'), msg.el, body), gated(webhooksPanel(), 'admin'));
}

function webhooksPanel(): HTMLElement {
  const body = h('div');
  const msg = formMsg('mg-hook-msg');
  const secretOut = h('div');
  const load = async (): Promise<void> => {
    if (!api.can('admin')) return;
    try {
      const r = await api.get<{ items: Hook[] }>('/api/v1/alarm-webhooks');
      body.replaceChildren(
        r.items.length
          ? dataTable(
              r.items,
              [
                { head: t('name'), cell: (w) => w.name },
                { head: t('mg_url'), class: 'wrap', cell: (w) => w.url },
                { head: t('mg_minSeverity'), cell: (w) => t(`alm.sev_${w.minSeverity}`) },
                {
                  head: '',
                  class: 'actions',
                  cell: (w) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        onclick: () =>
                          void api.request('DELETE', `/api/v1/alarm-webhooks/${w.id}`).then(
                            () => void load(),
                            (e: unknown) => msg.error(errorText(e)),
                          ),
                      },
                      t('mg_delete'),
                    ),
                },
              ],
              { id: 'mg-hook-table', rowAttrs: (w) => ({ 'data-webhook': w.id }) },
            )
          : h('p', { class: 'muted' }, t('noData')),
      );
    } catch (e) {
      body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  };
  const name = h('input', { name: 'name', required: true, maxlength: 100 });
  const url = h('input', { name: 'url', required: true, type: 'url', placeholder: 'https://…' });
  const sev = h(
    'select',
    { name: 'minSeverity' },
    SEVERITIES.map((s) => h('option', { value: s, selected: s === 'warning' }, t(`alm.sev_${s}`))),
  );
  const form = gridForm(
    { id: 'mg-hook-add' },
    () => {
      api.request<{ secret: string }>('POST', '/api/v1/alarm-webhooks', { name: name.value.trim(), url: url.value.trim(), minSeverity: sev.value }).then(
        (r) => {
          msg.ok(t('mg_saved'));
          secretOut.replaceChildren(
            h('p', { class: 'notice' }, `${t('mg_secret')}: `, h('span', { class: 'secret', id: 'mg-hook-secret' }, r.secret), ` — ${t('mg_secretOnce')}`),
          );
          form.reset();
          void load();
        },
        (e: unknown) => msg.error(errorText(e)),
      );
    },
    field(t('name'), name),
    field(t('mg_url'), url),
    field(t('mg_minSeverity'), sev),
    h('button', { type: 'submit', class: 'primary' }, t('mg_add')),
  );
  void load();
  return panel('mg-webhooks', t('mg_webhooks'), form, msg.el, secretOut, body);
}

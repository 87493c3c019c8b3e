import { api } from '../../api.ts';
import type { Device as DeviceDetail, Provisioned } from '../../contract.ts';
import { h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { kindLabel, kinds } from '../../kinds.ts';
import { csvField } from '../../ui/csv.ts';
import { field, formMsg, gridForm, readNumber } from '../../ui/forms.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { saveBlob } from '../../ui/authed-media.ts';
import { dataTable, panel } from '../../ui/table.ts';
import { zones } from '../../zones.ts';
import { importRows, type ImportRow } from './device-import.ts';
import './words.ts';

const groupOptions = (selected: string | null): HTMLOptionElement[] => [
  h('option', { value: '' }, '—'),
  ...zones.items.filter((z) => z.kind === 'residential_group').map((z) => h('option', { value: z.id, selected: z.id === selected }, z.name)),
];

/** Add a device (MQTT kinds; cameras have their own tab), edit one, or import many from a CSV with a result per row. */
export function devicesTab(): HTMLElement {
  const mqttKinds = kinds.all().filter((k) => k.transport === 'mqtt');
  return h('div', {}, addPanel(mqttKinds.map((k) => k.name)), editPanel(), importPanel(mqttKinds.map((k) => k.name)));
}

function secretBox(items: Provisioned[]): HTMLElement {
  const csv = [
    'id;username;password',
    ...items.map((p) => [p.device.id, p.credentials.username, p.credentials.password].map((v) => csvField(v)).join(';')),
  ].join('\r\n');
  return h(
    'div',
    { class: 'notice', id: 'mg-secrets' },
    h('p', {}, h('strong', {}, t('mg_secretOnce'))),
    items.length === 1
      ? h(
          'p',
          {},
          `${t('mg_username')}: `,
          h('span', { class: 'secret' }, items[0]!.credentials.username),
          ` · ${t('mg_password')}: `,
          h('span', { class: 'secret', id: 'mg-secret' }, items[0]!.credentials.password),
        )
      : null,
    h(
      'button',
      {
        type: 'button',
        id: 'mg-secrets-csv',
        onclick: () => saveBlob(new Blob([`\uFEFF${csv}\r\n`], { type: 'text/csv;charset=utf-8' }), 'mat-khau-thiet-bi.csv'),
      },
      t('mg_credentials'),
    ),
  );
}

function addPanel(kindNames: string[]): HTMLElement {
  const kind = h(
    'select',
    { name: 'kind', required: true },
    kindNames.map((k) => h('option', { value: k }, kindLabel(k))),
  );
  const id = h('input', { name: 'id', pattern: '[a-z0-9][a-z0-9._-]{0,63}', placeholder: 'sl-0001' });
  const name = h('input', { name: 'name', required: true, maxlength: 128 });
  const group = h('select', { name: 'groupId' }, groupOptions(null));
  const lat = h('input', { name: 'lat', inputmode: 'decimal' });
  const lon = h('input', { name: 'lon', inputmode: 'decimal' });
  const address = h('input', { name: 'address', maxlength: 256 });
  const msg = formMsg('mg-add-msg');
  const out = h('div');
  const form = gridForm(
    { id: 'mg-device-add' },
    () => {
      const body: Record<string, unknown> = { kind: kind.value, name: name.value.trim() };
      if (id.value.trim()) body.id = id.value.trim();
      if (group.value) body.groupId = group.value;
      const la = readNumber(lat.value);
      const lo = readNumber(lon.value);
      if (Number.isNaN(la) || Number.isNaN(lo)) return msg.error(`${t('mg_lat')} / ${t('mg_lon')}`);
      if (la !== null) body.lat = la;
      if (lo !== null) body.lon = lo;
      if (address.value.trim()) body.address = address.value.trim();
      msg.busy(t('loading'));
      api.request<Provisioned>('POST', '/api/v1/devices', body).then(
        async (r) => {
          msg.ok(`${t('mg_created')}: ${r.device.id}`);
          out.replaceChildren(secretBox([r]));
          form.reset();
          await fleet.load();
        },
        (e: unknown) => msg.error(errorText(e)),
      );
    },
    field(t('kind'), kind),
    field(t('mg_id'), id),
    field(t('name'), name),
    field(t('group'), group),
    field(t('mg_lat'), lat),
    field(t('mg_lon'), lon),
    field(t('dp_address'), address, true),
    h('button', { type: 'submit', class: 'primary' }, t('mg_add')),
  );
  return gated(panel('mg-add', t('mg_addDevice'), form, msg.el, out), 'admin');
}

function editPanel(): HTMLElement {
  const pick = h('input', { id: 'mg-edit-id', list: 'mg-device-ids', placeholder: 'ID', 'aria-label': 'ID' });
  const list = h(
    'datalist',
    { id: 'mg-device-ids' },
    [...fleet.devices.values()].slice(0, 5000).map((d) => h('option', { value: d.id }, d.name)),
  );
  const holder = h('div');
  const msg = formMsg('mg-edit-msg');
  const open = async (): Promise<void> => {
    const id = pick.value.trim();
    if (!id) return;
    try {
      const d = await api.get<DeviceDetail>(`/api/v1/devices/${encodeURIComponent(id)}`);
      holder.replaceChildren(editForm(d, msg));
    } catch (e) {
      msg.error(errorText(e));
    }
  };
  return gated(
    panel(
      'mg-edit',
      t('mg_edit'),
      h('div', { class: 'filters' }, pick, list, h('button', { type: 'button', id: 'mg-edit-open', onclick: () => void open() }, t('mg_edit'))),
      holder,
      msg.el,
    ),
  );
}

function editForm(d: DeviceDetail, msg: ReturnType<typeof formMsg>): HTMLElement {
  const name = h('input', { name: 'name', required: true, value: d.name });
  const group = h('select', { name: 'groupId' }, groupOptions(d.groupId));
  const lat = h('input', { name: 'lat', value: d.lat ?? '', inputmode: 'decimal' });
  const lon = h('input', { name: 'lon', value: d.lon ?? '', inputmode: 'decimal' });
  const address = h('input', { name: 'address', value: d.address ?? '' });
  const rated = h('input', { name: 'ratedPowerW', value: typeof d.asset.ratedPowerW === 'number' ? d.asset.ratedPowerW : '', inputmode: 'decimal' });
  const tags = h('input', { name: 'tags', value: d.tags.join(', ') });
  const remove = gated(
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        id: 'mg-device-delete',
        onclick: () => {
          if (!window.confirm(`${t('mg_confirmDelete')} ${d.id}`)) return;
          api.request('DELETE', `/api/v1/devices/${encodeURIComponent(d.id)}`).then(
            async () => {
              msg.ok(`${t('mg_deleted')}: ${d.id}`);
              await fleet.load();
            },
            (e: unknown) => msg.error(errorText(e)),
          );
        },
      },
      t('mg_delete'),
    ),
    'admin',
  );
  return gridForm(
    { id: 'mg-device-edit', 'data-device': d.id },
    () => {
      const la = readNumber(lat.value);
      const lo = readNumber(lon.value);
      const rp = readNumber(rated.value);
      if (Number.isNaN(la) || Number.isNaN(lo) || Number.isNaN(rp)) return msg.error(`${t('mg_lat')} / ${t('mg_lon')}`);
      const asset = { ...d.asset };
      if (rp === null) delete asset.ratedPowerW;
      else asset.ratedPowerW = rp;
      const body = {
        name: name.value.trim(),
        groupId: group.value || null,
        lat: la,
        lon: lo,
        address: address.value.trim() || null,
        asset,
        tags: tags.value
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      };
      api.request('PATCH', `/api/v1/devices/${encodeURIComponent(d.id)}`, body).then(
        async () => {
          msg.ok(`${t('mg_saved')}: ${d.id}`);
          await fleet.load();
        },
        (e: unknown) => msg.error(errorText(e)),
      );
    },
    h('strong', { class: 'wide' }, `${d.id} · ${kindLabel(d.kind)}`),
    field(t('name'), name),
    field(t('group'), group),
    field(t('mg_lat'), lat),
    field(t('mg_lon'), lon),
    field(t('dp_address'), address),
    field('W', rated),
    field(t('dp_tags'), tags),
    h('button', { type: 'submit', class: 'primary' }, t('mg_save')),
    remove,
  );
}

function importPanel(kindNames: string[]): HTMLElement {
  const file = h('input', { type: 'file', id: 'mg-import-file', accept: '.csv,text/csv' });
  const dry = h('input', { type: 'checkbox', id: 'mg-import-dry', checked: true });
  const msg = formMsg('mg-import-msg');
  const results = h('div', { id: 'mg-import-results' });
  const ctx = {
    kinds: kindNames,
    zoneIdOf: (x: string): string | null => zones.items.find((z) => z.id === x || z.name.toLowerCase() === x.toLowerCase())?.id ?? null,
    words: {
      missing: (c: string) => `${t('dp_required')}: ${c}`,
      unknownKind: (k: string) => `${t('kind')}? ${k}`,
      unknownZone: (z: string) => `${t('group')}? ${z}`,
      badNumber: (c: string) => `${c}: ${t('dp_number')}`,
      badDate: `${t('dp_installedAt')}: dd/mm/yyyy`,
      noHeader: t('mg_importHint'),
    },
  };
  // Rows are sent one by one through the ordinary provisioning route: each is checked, audited and answered alone.
  const run = async (): Promise<void> => {
    const f = file.files?.[0];
    if (!f) return msg.error(t('mg_import'));
    const rows = importRows(await f.text(), ctx);
    const done: (ImportRow & { ok?: string; err?: string })[] = [];
    const made: Provisioned[] = [];
    msg.busy(`${t('loading')} 0/${rows.length}`);
    for (const r of rows) {
      if (r.error || !r.body) done.push({ ...r, err: r.error });
      else if (dry.checked) done.push({ ...r, ok: t('mg_wouldCreate') });
      else {
        try {
          const p = await api.request<Provisioned>('POST', '/api/v1/devices', r.body);
          made.push(p);
          done.push({ ...r, ok: `${t('mg_created')}: ${p.device.id}` });
        } catch (e) {
          done.push({ ...r, err: errorText(e) });
        }
      }
      msg.busy(`${t('loading')} ${done.length}/${rows.length}`);
    }
    const bad = done.filter((d) => d.err).length;
    msg[bad ? 'error' : 'ok'](`${done.length - bad}/${done.length} ${dry.checked ? t('mg_wouldCreate') : t('mg_created')}`);
    results.dataset.ok = String(done.length - bad);
    results.dataset.failed = String(bad);
    results.replaceChildren(
      dataTable(
        done,
        [
          { head: t('mg_row'), class: 'num', cell: (r) => String(r.line) },
          { head: 'ID', cell: (r) => String(r.body?.id ?? '') },
          { head: t('name'), cell: (r) => String(r.body?.name ?? '') },
          { head: t('mg_result'), class: 'wrap', cell: (r) => h('span', { class: `row-result ${r.err ? 'error' : 'ok'}` }, r.err ?? r.ok ?? '') },
        ],
        { id: 'mg-import-table', rowAttrs: (r) => ({ 'data-line': r.line, 'data-ok': String(!r.err) }) },
      ),
      made.length ? secretBox(made) : '',
    );
    if (made.length) await fleet.load();
  };
  return gated(
    panel(
      'mg-import',
      t('mg_import'),
      h('p', { class: 'muted small' }, t('mg_importHint')),
      h(
        'div',
        { class: 'filters' },
        file,
        h('label', { class: 'inline' }, dry, ` ${t('mg_importDry')}`),
        h('button', { type: 'button', class: 'primary', id: 'mg-import-run', onclick: () => void run() }, t('mg_importRun')),
      ),
      msg.el,
      results,
    ),
    'admin',
  );
}

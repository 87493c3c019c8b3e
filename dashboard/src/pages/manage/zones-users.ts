import { api } from '../../api.ts';
import type { User } from '../../contract.ts';
import { fmtTime, h } from '../../dom.ts';
import { fleet } from '../../fleet.ts';
import { t } from '../../i18n.ts';
import { field, formMsg, gridForm } from '../../ui/forms.ts';
import { gated } from '../../ui/gated.ts';
import { errorText } from '../../ui/notice.ts';
import { dataTable, panel } from '../../ui/table.ts';
import { zones, type Zone } from '../../zones.ts';
import './words.ts';

const ZONE_KINDS = ['residential_group', 'lighting_zone', 'broadcast_zone', 'area'] as const;

/** Zones that may be `z`'s parent: not itself, nor any zone below it (a zone cannot contain its own ancestor). */
function parentChoices(z: Zone | null): Zone[] {
  if (!z) return zones.items;
  const below = new Set([z.id]);
  for (let grew = true; grew;) {
    grew = false;
    for (const x of zones.items) if (x.parentId && below.has(x.parentId) && !below.has(x.id)) grew = below.add(x.id).size > 0;
  }
  return zones.items.filter((x) => !below.has(x.id));
}

/** Zones and residential groups (tổ dân phố): add, rename, move under another, delete; how many devices each holds. */
export function zonesTab(): HTMLElement {
  const body = h('div');
  const msg = formMsg('mg-zone-msg');
  const members = (id: string): number => [...fleet.devices.values()].filter((d) => d.groupId === id || d.zoneIds.includes(id)).length;
  const paint = (): void => {
    body.replaceChildren(
      dataTable(
        zones.items,
        [
          { head: t('name'), cell: (z) => h('strong', {}, z.name) },
          { head: t('mg_id'), cell: (z) => z.id },
          { head: t('mg_zoneKind'), cell: (z) => t(`zk_${z.kind}`) },
          { head: t('mg_parent'), cell: (z) => zones.name(z.parentId) },
          { head: t('mg_members'), class: 'num', cell: (z) => String(members(z.id)) },
          {
            head: '',
            class: 'actions',
            cell: (z) =>
              gated(
                h(
                  'span',
                  {},
                  h('button', { type: 'button', class: 'zone-edit', onclick: () => holder.replaceChildren(form(z)) }, t('mg_edit')),
                  ' ',
                  h('button', { type: 'button', class: 'zone-delete', onclick: () => remove(z) }, t('mg_delete')),
                ),
                'admin',
              ),
          },
        ],
        { id: 'mg-zone-table', rowAttrs: (z) => ({ 'data-zone': z.id }) },
      ),
    );
  };
  const reload = async (): Promise<void> => {
    await zones.load(true);
    paint();
  };
  const remove = (z: Zone): void => {
    if (!window.confirm(`${t('mg_confirmDelete')} ${z.name}`)) return;
    api.request('DELETE', `/api/v1/zones/${encodeURIComponent(z.id)}`).then(
      () => {
        msg.ok(t('mg_deleted'));
        void reload();
      },
      (e: unknown) => msg.error(errorText(e)),
    );
  };
  const holder = h('div');
  const form = (z: Zone | null): HTMLElement => {
    const id = h('input', { name: 'id', required: true, pattern: '[a-z0-9][a-z0-9._-]{0,63}', value: z?.id ?? '', readonly: z !== null, placeholder: 'tdp-1' });
    const name = h('input', { name: 'name', required: true, maxlength: 128, value: z?.name ?? '' });
    const kind = h(
      'select',
      { name: 'kind', disabled: z !== null },
      ZONE_KINDS.map((k) => h('option', { value: k, selected: z?.kind === k }, t(`zk_${k}`))),
    );
    const parent = h(
      'select',
      { name: 'parentId' },
      h('option', { value: '' }, '—'),
      parentChoices(z).map((p) => h('option', { value: p.id, selected: p.id === z?.parentId }, p.name)),
    );
    return gridForm(
      { id: 'mg-zone-form' },
      () => {
        const req = z
          ? api.request('PATCH', `/api/v1/zones/${encodeURIComponent(z.id)}`, { name: name.value.trim(), parentId: parent.value || null })
          : api.request('POST', '/api/v1/zones', { id: id.value.trim(), name: name.value.trim(), kind: kind.value, parentId: parent.value || null });
        req.then(
          () => {
            msg.ok(t('mg_saved'));
            holder.replaceChildren();
            void reload();
          },
          (e: unknown) => msg.error(errorText(e)),
        );
      },
      field(t('mg_id'), id),
      field(t('name'), name),
      field(t('mg_zoneKind'), kind),
      field(t('mg_parent'), parent),
      h('button', { type: 'submit', class: 'primary' }, t('mg_save')),
      h('button', { type: 'button', onclick: () => holder.replaceChildren() }, t('mg_cancel')),
    );
  };
  paint();
  return panel(
    'mg-zones',
    t('mg_zones'),
    gated(h('button', { type: 'button', id: 'mg-zone-new', onclick: () => holder.replaceChildren(form(null)) }, t('mg_add')), 'admin'),
    holder,
    msg.el,
    body,
  );
}

const ROLES = ['viewer', 'operator', 'admin'] as const;

/** People who log in: add with a role and a password, change role, disable, set a new password. Admin only (the API says so too). */
export function usersTab(): HTMLElement {
  const body = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const holder = h('div');
  const msg = formMsg('mg-user-msg');
  const load = async (): Promise<void> => {
    try {
      const r = await api.get<{ items: User[] }>('/api/v1/users');
      body.replaceChildren(
        dataTable(
          r.items,
          [
            { head: t('mg_username'), cell: (u) => h('strong', {}, u.username) },
            { head: t('mg_displayName'), cell: (u) => u.displayName || '—' },
            { head: t('mg_role'), cell: (u) => t(`role_${u.role}`) },
            { head: t('status'), cell: (u) => h('span', { class: `badge ${u.disabled ? 'failed' : 'ok'}` }, u.disabled ? t('mg_disabled') : t('mg_active')) },
            { head: t('time'), cell: (u) => fmtTime(u.createdAt).slice(0, 10) },
            {
              head: '',
              class: 'actions',
              cell: (u) => h('button', { type: 'button', class: 'user-edit', onclick: () => holder.replaceChildren(form(u)) }, t('mg_edit')),
            },
          ],
          { id: 'mg-user-table', rowAttrs: (u) => ({ 'data-user': u.username, 'data-role': u.role }) },
        ),
      );
    } catch (e) {
      body.replaceChildren(h('p', { class: 'error' }, errorText(e)));
    }
  };
  const form = (u: User | null): HTMLElement => {
    const username = h('input', {
      name: 'username',
      required: true,
      pattern: '[a-z0-9._-]{3,64}',
      value: u?.username ?? '',
      readonly: u !== null,
      autocomplete: 'off',
    });
    const display = h('input', { name: 'displayName', maxlength: 128, value: u?.displayName ?? '' });
    const role = h(
      'select',
      { name: 'role' },
      ROLES.map((r) => h('option', { value: r, selected: (u?.role ?? 'operator') === r }, t(`role_${r}`))),
    );
    const password = h('input', { name: 'password', type: 'password', minlength: 10, required: u === null, autocomplete: 'new-password' });
    const disabled = h('input', { name: 'disabled', type: 'checkbox', checked: u?.disabled ?? false });
    return gridForm(
      { id: 'mg-user-form' },
      () => {
        const body: Record<string, unknown> = { displayName: display.value.trim(), role: role.value };
        if (password.value) body.password = password.value;
        const req = u
          ? api.request('PATCH', `/api/v1/users/${encodeURIComponent(u.username)}`, { ...body, disabled: disabled.checked })
          : api.request('POST', '/api/v1/users', { ...body, username: username.value.trim() });
        req.then(
          () => {
            msg.ok(t('mg_saved'));
            holder.replaceChildren();
            void load();
          },
          (e: unknown) => msg.error(errorText(e)),
        );
      },
      field(t('mg_username'), username),
      field(t('mg_displayName'), display),
      field(t('mg_role'), role),
      field(u ? t('mg_newPassword') : t('mg_password'), password),
      u ? h('label', { class: 'inline' }, disabled, ` ${t('mg_disabled')}`) : '',
      h('button', { type: 'submit', class: 'primary' }, t('mg_save')),
      h('button', { type: 'button', onclick: () => holder.replaceChildren() }, t('mg_cancel')),
    );
  };
  void load();
  return panel(
    'mg-users',
    t('mg_users'),
    h('button', { type: 'button', id: 'mg-user-new', onclick: () => holder.replaceChildren(form(null)) }, t('mg_add')),
    holder,
    msg.el,
    body,
  );
}

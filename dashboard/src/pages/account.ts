import { api } from '../api.ts';
import { h } from '../dom.ts';
import { t } from '../i18n.ts';

/** Every user's own password change (POST /api/v1/auth/password): the session stays, the user's other sessions end. */
export async function accountPage(root: HTMLElement): Promise<void> {
  const status = h('p', { role: 'status', id: 'password-status' });
  const field = (name: string, autocomplete: string): HTMLInputElement =>
    h('input', { name, type: 'password', autocomplete, required: true, maxlength: '256' }) as HTMLInputElement;
  const current = field('currentPassword', 'current-password');
  const next = field('newPassword', 'new-password');
  const again = field('repeatPassword', 'new-password');
  next.minLength = 10;
  const form = h(
    'form',
    {
      class: 'password-form',
      id: 'password-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        status.className = '';
        if (next.value !== again.value) {
          status.className = 'error';
          status.textContent = t('passwordsDiffer');
          return;
        }
        api.request('POST', '/api/v1/auth/password', { currentPassword: current.value, newPassword: next.value }).then(
          () => {
            form.reset();
            status.className = 'ok';
            status.textContent = t('passwordChanged');
          },
          (err: Error) => {
            status.className = 'error';
            status.textContent = err.message;
          },
        );
      },
    },
    h('h2', {}, t('changePassword')),
    h('label', {}, t('currentPassword'), current),
    h('label', {}, t('newPassword'), next),
    h('label', {}, t('repeatPassword'), again),
    h('button', { type: 'submit', class: 'primary' }, t('changePassword')),
    status,
  );
  root.append(h('h1', {}, `${t('account')}: ${api.me?.actor ?? ''}`), form);
}

import { api } from '../api.ts';
import { h } from '../dom.ts';
import { getLang, setLang, t } from '../i18n.ts';

export function loginPage(onDone: () => Promise<void>): HTMLElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        api.login(user.value.trim(), pass.value).then(onDone, () => (error.textContent = t('loginFailed')));
      },
    },
    h('h1', {}, t('appTitle')),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    h('button', { type: 'submit', class: 'primary' }, t('login')),
    error,
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          setLang(getLang() === 'vi' ? 'en' : 'vi');
          form.replaceWith(loginPage(onDone));
        },
      },
      t('language'),
    ),
  );
  return h('div', { class: 'login-wrap' }, form);
}

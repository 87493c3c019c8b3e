import { api, type Me } from '../api.ts';

/**
 * Controls that change something carry data-role-min and are not shown to roles below it (the API refuses them
 * anyway, 403). One helper for every page.
 */
export function gated<T extends HTMLElement>(el: T, role: Exclude<Me['role'], 'viewer'> = 'operator'): T {
  el.setAttribute('data-role-min', role);
  if (!api.can(role)) {
    el.hidden = true;
    el.style.display = 'none';
  }
  return el;
}

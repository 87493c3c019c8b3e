import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../common/errors.ts';

/**
 * Province tenancy (issue 12, docs/scale.md "Province tenancy"): which wards (mã ĐVHC) a caller may see and control.
 * `all` is the province scope (admins, and users marked province-wide); `wards` lists the user's memberships.
 */
export type WardScope = { all: true } | { all: false; wards: readonly string[] };

export const ALL_WARDS: WardScope = { all: true };

interface Store {
  scope: WardScope;
  /** Cleared when the response has gone: a timer a request happened to start runs later as the service, unscoped. */
  live: boolean;
  /** Wards of the objects the request read or changed (for the audit row). */
  touched: Set<string>;
}

const als = new AsyncLocalStorage<Store>();

export interface ScopeHandle {
  readonly scope: WardScope;
  /** Runs fn (and everything it starts) inside the scope. */
  run(fn: () => void): void;
  touched(): string[];
  end(): void;
}

/**
 * A caller's ward scope. The API enters it once per request after
 * authentication (services/api/security.ts); repositories read it, so routes need no ward logic of their own.
 * Code outside a request (ingest, schedules, sweeps) has no scope: it is the service acting for every ward.
 */
export function openScope(scope: WardScope): ScopeHandle {
  const store: Store = { scope, live: true, touched: new Set() };
  return {
    scope,
    run: (fn) => als.run(store, fn),
    touched: () => [...store.touched],
    end: () => {
      store.live = false;
    },
  };
}

const current = (): Store | undefined => {
  const s = als.getStore();
  return s?.live ? s : undefined;
};

/** The wards the current caller is limited to, or null when unrestricted (province scope, or no caller). */
export function scopedWards(): readonly string[] | null {
  const s = current();
  if (!s || s.scope.all) return null;
  return s.scope.wards;
}

/** Whether the current caller may see objects of this ward. */
export function wardVisible(code: string): boolean {
  const w = scopedWards();
  return w === null || w.includes(code);
}

/** Records that the request touched an object of this ward (for the audit row). */
export function noteWard(code: string): void {
  current()?.touched.add(code);
}

/** Asking for another ward by name (a report, a ward-wide command) is refused outright: the ward code is no secret. */
export function requireWard(code: string): void {
  if (!wardVisible(code))
    throw new AppError('WARD_FORBIDDEN', 403, `You may not act on ward ${code}: your account is limited to ward(s) ${(scopedWards() ?? []).join(', ')}`);
  noteWard(code);
}

/** An object of a ward the caller cannot see is reported as absent (its existence is not leaked). */
export function visibleOrNull<T extends { wardCode: string }>(o: T | null): T | null {
  if (!o) return null;
  if (!wardVisible(o.wardCode)) return null;
  noteWard(o.wardCode);
  return o;
}

/** The ward a request means when it names none: the configured one when the caller sees it, else their only ward. */
export function defaultWard(configured: string): string {
  const w = scopedWards();
  return w && w.length === 1 && !w.includes(configured) ? (w[0] as string) : configured;
}

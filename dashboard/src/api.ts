/** The API as the page sees it: bearer token in sessionStorage, coded errors, and the live event stream. */
import type { Me } from './contract.ts';

export type { Me };

export interface Ward {
  code: string;
  name: string;
  provinceCode: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

export class Api {
  token: string | null = sessionStorage.getItem('sw.token');
  me: Me | null = null;
  /** The wards the user sees (GET /api/v1/wards). */
  wards: Ward[] = [];
  /** The ward the user is looking at; '' = every ward they see (the province, for a province-wide user). */
  ward: string = sessionStorage.getItem('sw.ward') ?? '';

  can(role: Me['role']): boolean {
    return this.me !== null && RANK[this.me.role] >= RANK[role];
  }

  async request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 204) return undefined as T;
    const text = await r.text();
    const data = text ? (JSON.parse(text) as unknown) : undefined;
    if (!r.ok) {
      const e = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      if (r.status === 401 && url !== '/api/v1/auth/login') this.forget();
      throw new ApiError(r.status, e?.code ?? 'HTTP', e?.message ?? r.statusText);
    }
    return data as T;
  }

  get<T>(url: string): Promise<T> {
    return this.request<T>('GET', url);
  }

  async login(username: string, password: string): Promise<void> {
    const r = await this.request<{ token: string }>('POST', '/api/v1/auth/login', { username, password });
    this.token = r.token;
    sessionStorage.setItem('sw.token', r.token);
    await this.loadMe();
  }

  async loadMe(): Promise<Me | null> {
    if (!this.token) return null;
    try {
      this.me = await this.get<Me>('/api/v1/auth/me');
      this.wards = (await this.get<{ items: Ward[] }>('/api/v1/wards')).items;
      if (this.ward && !this.wards.some((w) => w.code === this.ward)) this.chooseWard('');
      if (!this.ward && !this.province()) this.chooseWard(this.wards[0]?.code ?? '');
    } catch {
      this.forget();
    }
    return this.me;
  }

  /** Whether the user may look at the province as a whole (several wards, province-wide scope). */
  province(): boolean {
    return this.wards.length > 1 && this.me?.scope?.all !== false;
  }

  chooseWard(code: string): void {
    this.ward = code;
    if (code) sessionStorage.setItem('sw.ward', code);
    else sessionStorage.removeItem('sw.ward');
  }

  /** Query parameters of a report for the chosen ward (or the province aggregate). */
  reportQuery(): string {
    if (this.ward) return `&ward=${encodeURIComponent(this.ward)}`;
    return this.province() ? '&scope=province' : '';
  }

  async logout(): Promise<void> {
    await this.request('POST', '/api/v1/auth/logout').catch(() => undefined);
    this.forget();
  }

  forget(): void {
    this.token = null;
    this.me = null;
    this.wards = [];
    sessionStorage.removeItem('sw.token');
  }

  /** Downloads a file with the bearer token (an <a href> cannot send it). */
  async download(url: string, filename: string): Promise<void> {
    const r = await fetch(url, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    if (!r.ok) throw new ApiError(r.status, 'HTTP', r.statusText);
    const blob = await r.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  /**
   * Server-sent events over fetch (EventSource cannot send the Authorization header). Reconnects after a pause;
   * returns a function that stops it.
   */
  live(onEvent: (name: string, data: unknown) => void): () => void {
    let stopped = false;
    let ctrl: AbortController | undefined;
    const run = async (): Promise<void> => {
      while (!stopped) {
        ctrl = new AbortController();
        try {
          const r = await fetch('/api/v1/live', { headers: { authorization: `Bearer ${this.token ?? ''}` }, signal: ctrl.signal });
          if (!r.ok || !r.body) throw new Error(`live ${r.status}`);
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const name = /^event: (.*)$/m.exec(block)?.[1];
              const data = /^data: (.*)$/m.exec(block)?.[1];
              if (name && data) onEvent(name, JSON.parse(data));
            }
          }
        } catch {
          /* reconnect below */
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 3000));
      }
    };
    void run();
    return () => {
      stopped = true;
      ctrl?.abort();
    };
  }
}

export const api = new Api();

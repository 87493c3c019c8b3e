/**
 * The province's context broker behind an adapter (DOMAIN.md §5: keep the upstream link behind an interface).
 * NgsiLdUpstream speaks NGSI-LD batch upsert (ETSI GS CIM 009 §5.6.8, POST /ngsi-ld/v1/entityOperations/upsert).
 */
import type { Entity } from './ngsi.ts';

/** Per entity id: delivered, or refused for good (bad data: retrying cannot help), or to be tried again. */
export interface PushResult {
  ok: string[];
  rejected: { id: string; error: string }[];
  retry: { id: string; error: string }[];
}

export interface Upstream {
  readonly description: string;
  push(entities: Entity[]): Promise<PushResult>;
}

/** Network trouble, a timeout, 5xx, 408 or 429: the upstream may take it later. */
const retriable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

export class NgsiLdUpstream implements Upstream {
  private readonly base: string;
  private readonly token: string;
  private readonly tenant: string;
  private readonly timeoutMs: number;

  constructor(o: { baseUrl: string; token: string; tenant: string; timeoutMs?: number }) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.token = o.token;
    this.tenant = o.tenant;
    this.timeoutMs = o.timeoutMs ?? 15_000;
  }

  get description(): string {
    return this.base;
  }

  async push(entities: Entity[]): Promise<PushResult> {
    const ids = entities.map((e) => e.id);
    const all = (error: string): PushResult => ({ ok: [], rejected: [], retry: ids.map((id) => ({ id, error })) });
    let res: Response;
    try {
      res = await fetch(`${this.base}/ngsi-ld/v1/entityOperations/upsert?options=update`, {
        method: 'POST',
        headers: {
          'content-type': 'application/ld+json',
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(this.tenant ? { 'NGSILD-Tenant': this.tenant } : {}),
        },
        body: JSON.stringify(entities),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return all(`upstream unreachable: ${e.cause?.code ?? e.name}: ${e.message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 201 || res.status === 204 || res.status === 200) return { ok: ids, rejected: [], retry: [] };
    if (res.status === 207) {
      // Multi-status: BatchOperationResult {success: [ids], errors: [{entityId, error: ProblemDetails}]}.
      let parsed: { success?: unknown; errors?: unknown } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        return all('207 with an unreadable body');
      }
      const success = new Set(Array.isArray(parsed.success) ? parsed.success.filter((x): x is string => typeof x === 'string') : []);
      const errors = new Map<string, { status: number; detail: string }>();
      for (const e of Array.isArray(parsed.errors) ? parsed.errors : []) {
        const o = e as { entityId?: string; error?: { status?: number; title?: string; detail?: string } };
        if (typeof o.entityId === 'string') errors.set(o.entityId, { status: o.error?.status ?? 500, detail: o.error?.detail ?? o.error?.title ?? 'error' });
      }
      const out: PushResult = { ok: [], rejected: [], retry: [] };
      for (const id of ids) {
        const err = errors.get(id);
        if (success.has(id) && !err) out.ok.push(id);
        else if (err && !retriable(err.status)) out.rejected.push({ id, error: `${err.status} ${err.detail}` });
        else out.retry.push({ id, error: err ? `${err.status} ${err.detail}` : 'not in the multi-status answer' });
      }
      return out;
    }
    const why = `HTTP ${res.status}: ${text.slice(0, 300)}`;
    if (retriable(res.status) || res.status === 401 || res.status === 403) return all(why); // credentials can be fixed upstream
    return { ok: [], rejected: ids.map((id) => ({ id, error: why })), retry: [] };
  }
}

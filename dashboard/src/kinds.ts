import type { KindInfo } from '../../devices/kind-info.ts';
import { api } from './api.ts';
import { getLang } from './i18n.ts';

export type { KindInfo };
type Text = { vi: string; en: string };

/**
 * The device kinds as `GET /kinds` describes them, loaded once per session. Pages ask this store for labels and for
 * the kinds that play a role (lighting, broadcast); the dashboard never names a kind or a command itself.
 */
class Kinds {
  private list: KindInfo[] = [];
  private byName = new Map<string, KindInfo>();
  private loading: Promise<void> | undefined;

  load(): Promise<void> {
    this.loading ??= api.get<{ items: KindInfo[] }>('/api/v1/kinds').then(
      (r) => {
        this.list = r.items;
        this.byName = new Map(r.items.map((k) => [k.name, k]));
      },
      (e: unknown) => {
        this.loading = undefined; // ask again next time
        throw e;
      },
    );
    return this.loading;
  }

  all(): KindInfo[] {
    return this.list;
  }

  get(name: string): KindInfo | undefined {
    return this.byName.get(name);
  }

  /** Names of the kinds with a capability (`lighting`, `broadcast`). */
  withCapability(cap: keyof KindInfo['capabilities']): Set<string> {
    return new Set(this.list.filter((k) => k.capabilities[cap] !== undefined).map((k) => k.name));
  }
}

export const kinds = new Kinds();

export const text = (x: Text | undefined | null, fallback = ''): string => (x ? (getLang() === 'vi' ? x.vi : x.en) : fallback);

export const kindLabel = (kind: string): string => text(kinds.get(kind)?.label, kind);
export const metricLabel = (kind: string, metric: string): string => text(kinds.get(kind)?.telemetry[metric]?.label, metric);
export const eventLabel = (kind: string, event: string): string => text(kinds.get(kind)?.events[event]?.label, event);

/** A latest-state value as an operator reads it: enum values by their label, booleans as yes/no, numbers with the unit. */
export function valueLabel(kind: string, metric: string, v: unknown, fmtNum: (n: number, digits: number) => string): string {
  const spec = kinds.get(kind)?.telemetry[metric];
  if (typeof v === 'string') return text(spec?.valueLabels?.[v], v);
  if (typeof v === 'boolean' || (spec?.type === 'boolean' && (v === 0 || v === 1))) return getLang() === 'vi' ? (v ? 'Có' : 'Không') : v ? 'Yes' : 'No';
  if (typeof v === 'number') return `${fmtNum(v, 2)}${spec?.unit ? ` ${spec.unit}` : ''}`;
  if (v === null || v === undefined) return '—';
  return JSON.stringify(v);
}

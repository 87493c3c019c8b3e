import { api } from './api.ts';
import type { Zone } from './contract.ts';

export type { Zone };

/** Zones and residential groups, loaded once per session and again after an edit; pages show names, not ids. */
class Zones {
  items: Zone[] = [];
  private loading: Promise<void> | undefined;

  load(force = false): Promise<void> {
    if (force) this.loading = undefined;
    this.loading ??= api.get<{ items: Zone[] }>('/api/v1/zones').then(
      (r) => void (this.items = [...r.items].sort((a, b) => a.name.localeCompare(b.name, 'vi', { numeric: true }))),
      () => {
        this.loading = undefined;
      },
    );
    return this.loading;
  }

  get(id: string | null | undefined): Zone | undefined {
    return id ? this.items.find((z) => z.id === id) : undefined;
  }

  /** The zone's name, or its id when it is not known (deleted, or the list could not be read). */
  name(id: string | null | undefined): string {
    if (!id) return '—';
    return this.get(id)?.name ?? id;
  }
}

export const zones = new Zones();

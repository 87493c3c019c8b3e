/**
 * Bulletin priorities and preemption (Circular 39/2020/TT-BTTTT, DOMAIN.md §5). Pure rules, unit-tested.
 * - emergency airs at once everywhere it targets, interrupting anything (a newer emergency interrupts an older one);
 *   every interruption is logged;
 * - priority goes ahead of normal (interrupts it);
 * - two items of equal priority (normal/normal, priority/priority) that would air on the same cluster at the same time
 *   are a conflict: shown to the operator to resolve, never resolved silently.
 */
export type Priority = 'normal' | 'priority' | 'emergency';

export const RANK: Record<Priority, number> = { normal: 0, priority: 1, emergency: 2 };

/** What an incoming item does to one already airing (or planned) on the same cluster at the same time. */
export type Clash = 'preempts' | 'yields' | 'conflict';

export function clash(incoming: Priority, existing: Priority): Clash {
  if (incoming === 'emergency') return 'preempts';
  if (existing === 'emergency') return 'yields';
  if (RANK[incoming] > RANK[existing]) return 'preempts';
  if (RANK[incoming] < RANK[existing]) return 'yields';
  return 'conflict';
}

export interface Window {
  start: number;
  end: number;
}

export interface PlannedItem {
  id: string;
  priority: Priority;
  clusters: ReadonlySet<string>;
  windows: readonly Window[];
}

export interface ClashReport {
  otherId: string;
  kind: Clash;
  firstAt: number;
  clusters: string[];
}

/** Overlap of two half-open windows [start, end). */
export const overlaps = (a: Window, b: Window): boolean => a.start < b.end && b.start < a.end;

/** Every existing item the candidate meets on a shared cluster at an overlapping time, with the earliest meeting. */
export function findClashes(candidate: PlannedItem, others: readonly PlannedItem[]): ClashReport[] {
  const out: ClashReport[] = [];
  for (const o of others) {
    if (o.id === candidate.id) continue;
    const shared = [...candidate.clusters].filter((c) => o.clusters.has(c)).sort();
    if (!shared.length) continue;
    let first = Number.POSITIVE_INFINITY;
    for (const a of candidate.windows) for (const b of o.windows) if (overlaps(a, b)) first = Math.min(first, Math.max(a.start, b.start));
    if (first === Number.POSITIVE_INFINITY) continue;
    out.push({ otherId: o.id, kind: clash(candidate.priority, o.priority), firstAt: first, clusters: shared });
  }
  return out.sort((a, b) => a.firstAt - b.firstAt || a.otherId.localeCompare(b.otherId));
}

/** What an emergency (or priority item) dispatched now interrupts: the items believed to air on its clusters now. */
export function interruptions(
  incoming: Priority,
  airing: readonly { clusterId: string; broadcastId: string; priority: Priority }[],
): { clusterId: string; broadcastId: string }[] {
  return airing.filter((a) => clash(incoming, a.priority) === 'preempts').map((a) => ({ clusterId: a.clusterId, broadcastId: a.broadcastId }));
}

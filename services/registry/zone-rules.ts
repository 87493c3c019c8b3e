import { badRequest } from '../common/errors.ts';
import type { ZoneRepository } from './zone.repository.ts';

/**
 * A zone's parent must exist and must not be the zone itself or one of the zones below it (issue 16: PATCH /zones let a
 * zone be its own parent, and a loop makes every "zone with its sub-zones" lookup walk in circles).
 */
export async function checkParent(zones: Pick<ZoneRepository, 'get'>, id: string, parentId: string | null | undefined): Promise<void> {
  if (!parentId) return;
  if (parentId === id) throw badRequest('ZONE_CYCLE', `zone '${id}' cannot be its own parent`);
  let at: string | null = parentId;
  for (let depth = 0; at; depth++) {
    const z = await zones.get(at);
    if (!z) throw badRequest('UNKNOWN_ZONE', `parent zone '${at}' does not exist`);
    if (z.parentId === id) throw badRequest('ZONE_CYCLE', `zone '${parentId}' lies inside '${id}': it cannot be its parent`);
    if (depth > 64) throw badRequest('ZONE_CYCLE', 'the zone tree is deeper than 64 levels');
    at = z.parentId;
  }
}

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** viewer reads; operator also controls devices and edits device details; admin also provisions and manages people. */
export const roleAtLeast = (have: Role, need: Role): boolean => RANK[have] >= RANK[need];

import type { WardScope } from './ward-scope.ts';

export interface Principal {
  /** Username, or `token:<name>` for a machine token. */
  actor: string;
  userId: string | null;
  role: Role;
  tokenId: string;
  via: 'session' | 'api';
  /** When the token stops (ISO); live streams end then. Absent for the scrape credential. */
  expiresAt?: string | null;
  /** The wards this caller sees (services/auth/ward-scope.ts); absent: every ward (the province link, the scraper). */
  scope?: WardScope;
}

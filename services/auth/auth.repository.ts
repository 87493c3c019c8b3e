import type { Db } from '../db/db.ts';
import type { Role } from './roles.ts';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  password_hash: string;
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled,
  createdAt: new Date(r.created_at).toISOString(),
});

export interface TokenRecord {
  id: string;
  userId: string | null;
  kind: 'session' | 'api';
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

interface TokenRow {
  id: string;
  user_id: string | null;
  kind: 'session' | 'api';
  name: string;
  role: Role;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  name: r.name,
  role: r.role,
  createdAt: new Date(r.created_at).toISOString(),
  expiresAt: iso(r.expires_at),
  lastUsedAt: iso(r.last_used_at),
});

export class AuthRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async countUsers(): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]?.n ?? 0;
  }

  async userWithHash(username: string): Promise<(UserRecord & { passwordHash: string }) | null> {
    const r = await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    const row = r.rows[0];
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.query<UserRow>('SELECT * FROM users ORDER BY username')).rows.map(toUser);
  }

  async createUser(u: { username: string; displayName: string; role: Role; passwordHash: string }): Promise<UserRecord> {
    const r = await this.db.query<UserRow>('INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING *', [
      u.username,
      u.displayName,
      u.role,
      u.passwordHash,
    ]);
    const row = r.rows[0] as UserRow;
    // A deployment of one ward stays as it was before tenancy: a new user belongs to that ward (docs/scale.md).
    await this.db.query(`INSERT INTO user_wards (user_id, ward_code) SELECT $1, code FROM wards WHERE (SELECT count(*) FROM wards) = 1`, [row.id]);
    return toUser(row);
  }

  async updateUser(username: string, p: { displayName?: string; role?: Role; disabled?: boolean; passwordHash?: string }): Promise<UserRecord | null> {
    const r = await this.db.query<UserRow>(
      `UPDATE users SET display_name = coalesce($2, display_name), role = coalesce($3, role),
         disabled = coalesce($4, disabled), password_hash = coalesce($5, password_hash), updated_at = now()
       WHERE username = $1 RETURNING *`,
      [username, p.displayName ?? null, p.role ?? null, p.disabled ?? null, p.passwordHash ?? null],
    );
    return r.rows[0] ? toUser(r.rows[0]) : null;
  }

  /** Revokes a user's live tokens (sessions only, or machine tokens they own too); returns the revoked ids. */
  async revokeUserTokens(userId: string, kinds: readonly ('session' | 'api')[] = ['session']): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND kind = ANY($2::text[]) AND revoked_at IS NULL RETURNING id`,
      [userId, [...kinds]],
    );
    return r.rows.map((x) => x.id);
  }

  /** A user's sessions other than `keepTokenId` (a password change keeps the session that made it). */
  async revokeOtherSessions(userId: string, keepTokenId: string): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND kind = 'session' AND revoked_at IS NULL AND id::text <> $2 RETURNING id`,
      [userId, keepTokenId],
    );
    return r.rows.map((x) => x.id);
  }

  async userById(id: string): Promise<(UserRecord & { passwordHash: string }) | null> {
    const r = await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    const row = r.rows[0];
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  async createToken(t: {
    userId: string | null;
    kind: 'session' | 'api';
    name: string;
    role: Role;
    tokenHash: string;
    expiresAt: Date | null;
  }): Promise<TokenRecord> {
    const r = await this.db.query<TokenRow>(
      `INSERT INTO api_tokens (user_id, kind, name, role, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [t.userId, t.kind, t.name, t.role, t.tokenHash, t.expiresAt],
    );
    return toToken(r.rows[0] as TokenRow);
  }

  /** A live token and, for sessions, its enabled user. Touches last_used_at at most once a minute. */
  async findLiveToken(tokenHash: string): Promise<(TokenRecord & { username: string | null; province: boolean; wards: string[] }) | null> {
    const r = await this.db.query<TokenRow & { username: string | null; province_scope: boolean | null; wards: string[] }>(
      `SELECT t.*, u.username, u.province_scope,
              ARRAY(SELECT m.ward_code FROM user_wards m WHERE m.user_id = t.user_id ORDER BY m.ward_code) AS wards
       FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
         AND (t.user_id IS NULL OR NOT u.disabled)`,
      [tokenHash],
    );
    const row = r.rows[0];
    if (!row) return null;
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > 60_000) {
      await this.db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.id]);
    }
    return { ...toToken(row), username: row.username, province: row.user_id === null || row.province_scope === true, wards: row.wards };
  }

  async listApiTokens(): Promise<(TokenRecord & { owner: string | null })[]> {
    const r = await this.db.query<TokenRow & { owner: string | null }>(
      `SELECT t.*, u.username AS owner FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
       WHERE t.kind = 'api' AND t.revoked_at IS NULL ORDER BY t.created_at`,
    );
    return r.rows.map((row) => ({ ...toToken(row), owner: row.owner }));
  }

  async revokeToken(id: string): Promise<boolean> {
    const r = await this.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return r.rowCount > 0;
  }
}

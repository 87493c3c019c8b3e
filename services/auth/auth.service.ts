import { AppError, conflict, notFound, unauthorized } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { hashPassword, randomSecret, sha256Hex, verifyPassword } from '../common/crypto.ts';
import type { AuthRepository, TokenRecord, UserRecord } from './auth.repository.ts';
import { roleAtLeast, type Principal, type Role } from './roles.ts';

const TOKEN_PREFIX = { session: 'sws_', api: 'swa_' } as const;

export class AuthService {
  private readonly repo: AuthRepository;
  private readonly ttlHours: number;
  private readonly log: Logger;
  // A hash that costs as much to check as a real one, so an unknown username takes as long as a wrong password.
  private dummyHash: Promise<string> | undefined;

  constructor(repo: AuthRepository, ttlHours: number, log: Logger) {
    this.repo = repo;
    this.ttlHours = ttlHours;
    this.log = log.child({ module: 'auth' });
  }

  /**
   * Creates the first administrator when there are no users. Returns the generated password when one had to be
   * generated (printed once by the caller), or null.
   */
  async bootstrapAdmin(username: string, configuredPassword: string): Promise<{ username: string; password: string | null } | null> {
    if ((await this.repo.countUsers()) > 0) return null;
    const password = configuredPassword || randomSecret(12);
    await this.repo.createUser({ username, displayName: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) });
    this.log.info({ username }, 'first administrator created');
    return { username, password: configuredPassword ? null : password };
  }

  async login(username: string, password: string): Promise<{ token: string; expiresAt: string; user: UserRecord }> {
    const user = await this.repo.userWithHash(username);
    this.dummyHash ??= hashPassword(randomSecret());
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyPassword(password, await this.dummyHash);
    if (!user || !ok || user.disabled) throw new AppError('BAD_LOGIN', 401, 'Wrong username or password, or the account is disabled');
    const token = TOKEN_PREFIX.session + randomSecret();
    const expires = new Date(Date.now() + this.ttlHours * 3600_000);
    await this.repo.createToken({ userId: user.id, kind: 'session', name: `login ${user.username}`, role: user.role, tokenHash: sha256Hex(token), expiresAt: expires });
    const { passwordHash: _ph, ...publicUser } = user;
    return { token, expiresAt: expires.toISOString(), user: publicUser };
  }

  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) throw unauthorized();
    const t = await this.repo.findLiveToken(sha256Hex(bearer));
    if (!t) throw unauthorized('Token is unknown, expired or revoked: log in again');
    return { actor: t.kind === 'api' ? `token:${t.name}` : (t.username ?? 'unknown'), userId: t.userId, role: t.role, tokenId: t.id, via: t.kind };
  }

  async logout(p: Principal): Promise<void> {
    await this.repo.revokeToken(p.tokenId);
  }

  async createUser(input: { username: string; displayName?: string; role: Role; password: string }): Promise<UserRecord> {
    if (await this.repo.userWithHash(input.username)) throw conflict('USER_EXISTS', `User '${input.username}' already exists`);
    return this.repo.createUser({ username: input.username, displayName: input.displayName ?? '', role: input.role, passwordHash: await hashPassword(input.password) });
  }

  async updateUser(username: string, p: { displayName?: string; role?: Role; disabled?: boolean; password?: string }): Promise<UserRecord> {
    const u = await this.repo.updateUser(username, {
      displayName: p.displayName,
      role: p.role,
      disabled: p.disabled,
      passwordHash: p.password ? await hashPassword(p.password) : undefined,
    });
    if (!u) throw notFound('User', username);
    if (p.role !== undefined || p.disabled || p.password) await this.repo.revokeUserTokens(u.id);
    return u;
  }

  listUsers(): Promise<UserRecord[]> {
    return this.repo.listUsers();
  }

  /** Machine tokens: never more powerful than whoever creates them; shown once. */
  async createApiToken(creator: Principal, name: string, role: Role, expiresAt: Date | null): Promise<{ token: string; record: TokenRecord }> {
    if (!roleAtLeast(creator.role, role)) throw new AppError('FORBIDDEN', 403, `You cannot create a token with role '${role}'`);
    const token = TOKEN_PREFIX.api + randomSecret();
    const record = await this.repo.createToken({ userId: null, kind: 'api', name, role, tokenHash: sha256Hex(token), expiresAt });
    return { token, record };
  }

  listApiTokens(): Promise<TokenRecord[]> {
    return this.repo.listApiTokens();
  }

  async revokeApiToken(id: string): Promise<void> {
    if (!(await this.repo.revokeToken(id))) throw notFound('Token', id);
  }
}

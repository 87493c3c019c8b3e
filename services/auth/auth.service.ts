import { EventEmitter } from 'node:events';
import { AppError, badRequest, conflict, notFound, unauthorized } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { hashPassword, randomSecret, sha256Hex, verifyPassword } from '../common/crypto.ts';
import type { AuthRepository, TokenRecord, UserRecord } from './auth.repository.ts';
import { roleAtLeast, type Principal, type Role } from './roles.ts';
import { ALL_WARDS, type WardScope } from './ward-scope.ts';
import { HashGate, LoginThrottle } from './login-guard.ts';

const TOKEN_PREFIX = { session: 'sws_', api: 'swa_' } as const;
const DAY_MS = 86400_000;

export interface AuthLimits {
  loginUserMaxFailures: number;
  loginAddressMaxFailures: number;
  loginLockoutS: number;
  hashConcurrency: number;
  hashQueue: number;
  apiTokenMaxDays: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  loginUserMaxFailures: 10,
  loginAddressMaxFailures: 30,
  loginLockoutS: 900,
  hashConcurrency: 2,
  hashQueue: 64,
  apiTokenMaxDays: 365,
};

/** Emitted when tokens stop being valid, so whatever holds a connection opened with one (SSE streams) closes it. */
export interface RevokedTokens {
  tokenIds: string[];
  why: 'logout' | 'user-disabled' | 'role-changed' | 'password-changed' | 'token-revoked' | 'admin-reset';
}

export class AuthService {
  private readonly repo: AuthRepository;
  private readonly ttlHours: number;
  private readonly log: Logger;
  // A hash that costs as much to check as a real one, so an unknown username takes as long as a wrong password.
  private dummyHash: Promise<string> | undefined;
  private readonly limits: AuthLimits;
  readonly hashGate: HashGate;
  readonly throttle: LoginThrottle;
  private readonly revocations = new EventEmitter();

  constructor(repo: AuthRepository, ttlHours: number, log: Logger, limits: Partial<AuthLimits> = {}) {
    this.repo = repo;
    this.ttlHours = ttlHours;
    this.log = log.child({ module: 'auth' });
    this.limits = { ...DEFAULT_AUTH_LIMITS, ...limits };
    this.hashGate = new HashGate(this.limits.hashConcurrency, this.limits.hashQueue);
    this.throttle = new LoginThrottle({
      userMaxFailures: this.limits.loginUserMaxFailures,
      addressMaxFailures: this.limits.loginAddressMaxFailures,
      windowMs: this.limits.loginLockoutS * 1000,
    });
    this.revocations.setMaxListeners(0);
  }

  /** Listens for revoked tokens; returns the function that stops listening. */
  onRevoked(fn: (r: RevokedTokens) => void): () => void {
    this.revocations.on('revoked', fn);
    return () => this.revocations.off('revoked', fn);
  }

  private revoked(tokenIds: string[], why: RevokedTokens['why']): void {
    if (tokenIds.length === 0) return;
    this.log.info({ tokens: tokenIds.length, why }, 'tokens revoked');
    this.revocations.emit('revoked', { tokenIds, why } satisfies RevokedTokens);
  }

  private hash(password: string): Promise<string> {
    return this.hashGate.run(() => hashPassword(password));
  }

  private verify(password: string, stored: string): Promise<boolean> {
    return this.hashGate.run(() => verifyPassword(password, stored));
  }

  /**
   * Creates the first administrator when there are no users. Returns the generated password when one had to be
   * generated (printed once by the caller), or null.
   */
  async bootstrapAdmin(username: string, configuredPassword: string): Promise<{ username: string; password: string | null } | null> {
    if ((await this.repo.countUsers()) > 0) return null;
    const password = configuredPassword || randomSecret(12);
    await this.repo.createUser({ username, displayName: 'Administrator', role: 'admin', passwordHash: await this.hash(password) });
    this.log.info({ username }, 'first administrator created');
    return { username, password: configuredPassword ? null : password };
  }

  /** `address`: the client's address, for the per-address throttle. */
  async login(username: string, password: string, address = 'unknown'): Promise<{ token: string; expiresAt: string; user: UserRecord }> {
    this.throttle.check(username, address);
    const user = await this.repo.userWithHash(username);
    this.dummyHash ??= hashPassword(randomSecret());
    const ok = user ? await this.verify(password, user.passwordHash) : await this.verify(password, await this.dummyHash);
    if (!user || !ok || user.disabled) {
      const locked = this.throttle.failed(username, address);
      if (locked.userLocked || locked.addressLocked) this.log.warn({ username, address, ...locked }, 'login locked after repeated failures');
      throw new AppError(
        'BAD_LOGIN',
        401,
        'Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đã bị khoá. / Wrong username or password, or the account is disabled',
        locked.userLocked || locked.addressLocked ? { locked } : undefined,
      );
    }
    this.throttle.succeeded(username);
    const token = TOKEN_PREFIX.session + randomSecret();
    const expires = new Date(Date.now() + this.ttlHours * 3600_000);
    await this.repo.createToken({
      userId: user.id,
      kind: 'session',
      name: `login ${user.username}`,
      role: user.role,
      tokenHash: sha256Hex(token),
      expiresAt: expires,
    });
    const { passwordHash: _ph, ...publicUser } = user;
    return { token, expiresAt: expires.toISOString(), user: publicUser };
  }

  async authenticate(bearer: string | undefined): Promise<Principal> {
    if (!bearer) throw unauthorized();
    const t = await this.repo.findLiveToken(sha256Hex(bearer));
    if (!t) throw unauthorized('Token is unknown, expired or revoked: log in again');
    // Admins see every ward; a token without an owner is the service's own (made by an admin tool); others see their memberships.
    const scope: WardScope = t.role === 'admin' || t.province ? ALL_WARDS : { all: false, wards: t.wards };
    return {
      actor: t.kind === 'api' ? `token:${t.name}` : (t.username ?? 'unknown'),
      userId: t.userId,
      role: t.role,
      tokenId: t.id,
      via: t.kind,
      expiresAt: t.expiresAt,
      scope,
    };
  }

  async logout(p: Principal): Promise<void> {
    if (await this.repo.revokeToken(p.tokenId)) this.revoked([p.tokenId], 'logout');
  }

  /** Any user changes their own password; the session that did it stays, their other sessions end. */
  async changeOwnPassword(p: Principal, currentPassword: string, newPassword: string): Promise<void> {
    if (p.via !== 'session' || !p.userId) throw new AppError('FORBIDDEN', 403, 'Only a person logged in can change their password, not a machine token');
    const user = await this.repo.userById(p.userId);
    if (!user) throw unauthorized();
    this.throttle.check(user.username, 'password-change');
    if (!(await this.verify(currentPassword, user.passwordHash))) {
      this.throttle.failed(user.username, 'password-change');
      throw new AppError('BAD_PASSWORD', 400, 'Mật khẩu hiện tại không đúng. / The current password is wrong');
    }
    if (currentPassword === newPassword)
      throw badRequest('SAME_PASSWORD', 'Mật khẩu mới phải khác mật khẩu cũ. / The new password must differ from the current one');
    await this.repo.updateUser(user.username, { passwordHash: await this.hash(newPassword) });
    this.revoked(await this.repo.revokeOtherSessions(user.id, p.tokenId), 'password-changed');
  }

  /**
   * `npm run admin:reset`: the administrator account back in working order — enabled, role admin, a new password,
   * every session and machine token it owned revoked, its login lock cleared. Creates the account if it is missing.
   */
  async resetAdmin(username: string, password: string): Promise<{ created: boolean; revokedTokens: number }> {
    const passwordHash = await this.hash(password);
    const existing = await this.repo.userWithHash(username);
    if (!existing) {
      await this.repo.createUser({ username, displayName: 'Administrator', role: 'admin', passwordHash });
      return { created: true, revokedTokens: 0 };
    }
    await this.repo.updateUser(username, { role: 'admin', disabled: false, passwordHash });
    const ids = await this.repo.revokeUserTokens(existing.id, ['session', 'api']);
    this.throttle.clearUser(username);
    this.revoked(ids, 'admin-reset');
    return { created: false, revokedTokens: ids.length };
  }

  /** A user by name, without the password hash. */
  async findUser(username: string): Promise<UserRecord> {
    const u = await this.repo.userWithHash(username);
    if (!u) throw notFound('User', username);
    const { passwordHash: _ph, ...publicUser } = u;
    return publicUser;
  }

  async createUser(input: { username: string; displayName?: string; role: Role; password: string }): Promise<UserRecord> {
    if (await this.repo.userWithHash(input.username)) throw conflict('USER_EXISTS', `User '${input.username}' already exists`);
    return this.repo.createUser({
      username: input.username,
      displayName: input.displayName ?? '',
      role: input.role,
      passwordHash: await this.hash(input.password),
    });
  }

  async updateUser(username: string, p: { displayName?: string; role?: Role; disabled?: boolean; password?: string }): Promise<UserRecord> {
    const u = await this.repo.updateUser(username, {
      displayName: p.displayName,
      role: p.role,
      disabled: p.disabled,
      passwordHash: p.password ? await this.hash(p.password) : undefined,
    });
    if (!u) throw notFound('User', username);
    // Sessions end with the rights they were opened with; machine tokens a user owns stop when the user is disabled
    // or their role changes (a token is never worth more than its owner).
    if (p.disabled || p.role !== undefined)
      this.revoked(await this.repo.revokeUserTokens(u.id, ['session', 'api']), p.disabled ? 'user-disabled' : 'role-changed');
    else if (p.password) this.revoked(await this.repo.revokeUserTokens(u.id, ['session']), 'password-changed');
    if (p.disabled === false || p.password) this.throttle.clearUser(username);
    return u;
  }

  listUsers(): Promise<UserRecord[]> {
    return this.repo.listUsers();
  }

  /**
   * Machine tokens: never more powerful than whoever creates them, owned by that person (they stop when the owner is
   * disabled or changes role), always with an expiry (90 days unless given, at most SW_API_TOKEN_MAX_DAYS); shown once.
   */
  async createApiToken(creator: Principal, name: string, role: Role, expiresAt: Date | null): Promise<{ token: string; record: TokenRecord }> {
    if (!roleAtLeast(creator.role, role)) throw new AppError('FORBIDDEN', 403, `You cannot create a token with role '${role}'`);
    if (!creator.userId) throw new AppError('FORBIDDEN', 403, 'A machine token cannot create tokens: log in as a person');
    const maxMs = this.limits.apiTokenMaxDays * DAY_MS;
    const expiry = expiresAt ?? new Date(Date.now() + Math.min(90 * DAY_MS, maxMs));
    if (Number.isNaN(expiry.getTime()) || expiry.getTime() <= Date.now()) throw badRequest('BAD_EXPIRY', 'expiresAt must be in the future');
    if (expiry.getTime() > Date.now() + maxMs)
      throw badRequest('BAD_EXPIRY', `A machine token may live at most ${this.limits.apiTokenMaxDays} days (SW_API_TOKEN_MAX_DAYS)`);
    const token = TOKEN_PREFIX.api + randomSecret();
    const record = await this.repo.createToken({ userId: creator.userId, kind: 'api', name, role, tokenHash: sha256Hex(token), expiresAt: expiry });
    return { token, record };
  }

  listApiTokens(): Promise<(TokenRecord & { owner: string | null })[]> {
    return this.repo.listApiTokens();
  }

  async revokeApiToken(id: string): Promise<void> {
    if (!(await this.repo.revokeToken(id))) throw notFound('Token', id);
    this.revoked([id], 'token-revoked');
  }
}

import { AuditRepository } from '../audit/audit.repository.ts';
import { AuthRepository } from '../auth/auth.repository.ts';
import { AuthService } from '../auth/auth.service.ts';
import { randomSecret } from '../common/crypto.ts';
import { lockDataDir } from '../common/data-dir-lock.ts';
import { createLogger } from '../common/logger.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { migrate } from '../db/migrator.ts';
import { openDatabase } from '../db/open.ts';

/**
 * `npm run admin:reset [-- --user NAME]`: the way back in when the administrator's password is lost or the account was
 * disabled or demoted. Gives the account (SW_ADMIN_USERNAME unless --user) the admin role, enables it, sets a new
 * password — SW_ADMIN_PASSWORD when set, else a generated one printed once — revokes every session and machine token
 * it had, and writes an audit row (actor `cli:admin-reset`). Needs shell access to the server, which is the point.
 * Run it with the service stopped when the database is embedded (the data folder is locked while it runs).
 */
try {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const i = process.argv.indexOf('--user');
  const username = i >= 0 ? (process.argv[i + 1] ?? '') : config.admin.username;
  if (!/^[a-z0-9._-]{3,64}$/.test(username)) throw new Error(`'${username}' is not a username (3–64 of a-z 0-9 . _ -)`);
  const lock = config.databaseUrl ? null : lockDataDir(config.dataDir, log);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, log });
  try {
    await migrate(db, log);
    const password = config.admin.password || randomSecret(12);
    const r = await new AuthService(new AuthRepository(db), config.tokenTtlHours, log).resetAdmin(username, password);
    await new AuditRepository(db).insert({
      actor: 'cli:admin-reset',
      actorRole: 'admin',
      action: 'user.admin-reset',
      targetType: 'user',
      targetId: username,
      result: 'ok',
      details: { created: r.created, revokedTokens: r.revokedTokens },
      ip: null,
    });
    console.log(`${r.created ? 'Đã tạo' : 'Đã đặt lại'} tài khoản quản trị / Administrator ${r.created ? 'created' : 'reset'}: ${username}`);
    console.log(
      config.admin.password
        ? 'Mật khẩu: SW_ADMIN_PASSWORD / Password: SW_ADMIN_PASSWORD'
        : `Mật khẩu mới (chỉ hiện một lần) / New password (shown once): ${password}`,
    );
    console.log(`Đã thu hồi / Revoked: ${r.revokedTokens} phiên và token / sessions and tokens`);
  } finally {
    await db.close();
    lock?.release();
  }
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `admin:reset failed: ${(err as Error).message}`);
  process.exit(1);
}

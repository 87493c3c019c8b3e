/** The running service's side of backups: the control socket that takes online backups of its own database. */
import type { Server } from 'node:net';
import type { FeatureModule, ModuleContext } from '../modules/module.ts';
import { createBackup } from './backup.service.ts';
import { controlSocketPath, serveControlSocket, type ControlReply, type ControlRequest } from './control-socket.ts';

export class BackupModule implements FeatureModule {
  readonly name = 'backup';
  private ctx!: ModuleContext;
  private server: Server | null = null;

  async init(ctx: ModuleContext): Promise<void> {
    this.ctx = ctx;
  }

  async start(): Promise<void> {
    const { config, log } = this.ctx;
    this.server = await serveControlSocket(config.dataDir, (req) => this.handle(req));
    if (this.server) log.info({ socket: controlSocketPath(config.dataDir) }, 'backup control socket listening');
    else log.warn({ dataDir: config.dataDir }, 'data folder path too long for the backup control socket: online embedded backups are off');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: ControlRequest): Promise<ControlReply> {
    switch (req.op) {
      case 'ping':
        return { ok: true, pid: process.pid, database: this.ctx.db.description };
      case 'backup':
        return this.backup(req.passphrase ?? null, req.outDir);
    }
  }

  private async backup(passphrase: string | null, outDir: string | undefined): Promise<ControlReply> {
    const { config, db, log, audit } = this.ctx;
    const entry = { actor: 'local:backup-cli', actorRole: 'admin', action: 'system.backup', targetType: 'backup', ip: null };
    try {
      const r = await createBackup({ config, db, log: log.child({ module: 'backup' }), passphrase, online: true, ...(outDir ? { outDir } : {}) });
      await audit.insert({
        ...entry,
        targetId: r.dir,
        result: 'ok',
        details: { tables: Object.keys(r.manifest.database.tables).length, files: r.manifest.files.length, keySealed: r.manifest.key.sealed },
      });
      return { ok: true, dir: r.dir, manifest: r.manifest };
    } catch (err) {
      log.error({ err }, 'online backup failed');
      await audit.insert({ ...entry, targetId: null, result: 'error', details: { error: (err as Error).message } }).catch(() => undefined);
      return { ok: false, error: (err as Error).message };
    }
  }
}

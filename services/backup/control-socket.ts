/**
 * A Unix socket in the data folder (`run/backup.sock`, folder mode 0700) through which the CLI reaches the running
 * service: it answers "is the service running on this data folder?" (a reliable check: PGlite's postmaster.pid holds a
 * fixed fake PID) and takes online backups of the embedded store. Only the data folder's owner (or root) can connect,
 * and they can read secret.key anyway, so the socket grants nothing new.
 */
import { existsSync, mkdirSync, chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import path from 'node:path';

export type ControlRequest = { op: 'ping' } | { op: 'backup'; passphrase?: string | null; outDir?: string };
export type ControlReply = { ok: true; [k: string]: unknown } | { ok: false; error: string };

// sockaddr_un.sun_path holds 108 bytes on Linux, terminator included.
const MAX_SOCKET_PATH = 107;

export const controlSocketPath = (dataDir: string): string => path.join(dataDir, 'run', 'backup.sock');

/** Whether the socket path fits; a data folder nested too deep gets no socket (and the CLI says so). */
export const socketPathUsable = (dataDir: string): boolean => Buffer.byteLength(controlSocketPath(dataDir)) <= MAX_SOCKET_PATH;

/** One JSON request per connection, one JSON reply; null when nobody listens (the service is not running). */
export function askService(dataDir: string, req: ControlRequest, timeoutMs = 600_000): Promise<ControlReply | null> {
  const file = controlSocketPath(dataDir);
  if (!existsSync(file)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const c = createConnection(file);
    let buf = '';
    c.setTimeout(timeoutMs, () => c.destroy(new Error(`the service did not answer within ${timeoutMs} ms`)));
    c.on('connect', () => c.end(`${JSON.stringify(req)}\n`));
    c.on('data', (d: Buffer) => (buf += d.toString()));
    c.on('end', () => {
      try {
        resolve(JSON.parse(buf) as ControlReply);
      } catch {
        reject(new Error(`unreadable answer from the service: ${buf.slice(0, 200)}`));
      }
    });
    c.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? resolve(null) : reject(err)));
  });
}

export async function serveControlSocket(dataDir: string, handle: (req: ControlRequest) => Promise<ControlReply>): Promise<Server | null> {
  if (!socketPathUsable(dataDir)) return null;
  const dir = path.dirname(controlSocketPath(dataDir));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = controlSocketPath(dataDir);
  if ((await askService(dataDir, { op: 'ping' }, 3000).catch(() => null)) !== null) {
    throw new Error(`another service answers on ${file}: two services must never share a data folder`);
  }
  rmSync(file, { force: true });
  // allowHalfOpen: the client half-closes after its request; the reply still has to go back on the same connection.
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    let buf = '';
    conn.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.length > 64 * 1024) conn.destroy();
    });
    conn.on('end', () => {
      let req: ControlRequest;
      try {
        req = JSON.parse(buf) as ControlRequest;
      } catch {
        conn.end(JSON.stringify({ ok: false, error: 'bad request' }));
        return;
      }
      handle(req).then(
        (reply) => conn.end(JSON.stringify(reply)),
        (err: Error) => conn.end(JSON.stringify({ ok: false, error: err.message })),
      );
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  return server;
}

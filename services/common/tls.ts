import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from './logger.ts';

/**
 * The service's TLS certificate and key, shared by MQTT over TLS, MQTT over secure WebSocket and HTTPS. Either the
 * operator's files (SW_TLS_CERT_FILE / SW_TLS_KEY_FILE) or a self-signed pair generated once into
 * SW_DATA_DIR/tls (for a first start, a test bench or a ward LAN without a CA). `reload()` re-reads the files and swaps
 * the context of every listener (server.setSecureContext): new handshakes get the new certificate, open connections
 * keep theirs, nothing is dropped. A bad pair is refused and the old one stays.
 */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** True when the service generated the pair itself. */
  selfSigned: boolean;
}

interface SecureServer {
  setSecureContext(options: SecureContextOptions): void;
}

export interface TlsSummary {
  certFile: string;
  selfSigned: boolean;
  subject: string;
  validTo: string;
  fingerprint256: string;
}

export class TlsContext {
  readonly files: TlsFiles;
  private readonly log: Logger;
  private current: { cert: Buffer; key: Buffer };
  private readonly servers = new Set<SecureServer>();

  constructor(files: TlsFiles, log: Logger) {
    this.files = files;
    this.log = log.child({ module: 'tls' });
    this.current = readPair(files);
  }

  /** Options for tls.createServer / https.createServer. */
  get options(): { cert: Buffer; key: Buffer } {
    return { ...this.current };
  }

  get summary(): TlsSummary {
    const x = new X509Certificate(this.current.cert);
    return { certFile: this.files.certFile, selfSigned: this.files.selfSigned, subject: x.subject, validTo: x.validTo, fingerprint256: x.fingerprint256 };
  }

  /** A listener whose certificate follows reload(). */
  attach(server: SecureServer): void {
    this.servers.add(server);
  }

  detach(server: SecureServer): void {
    this.servers.delete(server);
  }

  /** Re-reads the files; on success every attached listener serves the new pair to new connections. */
  reload(): { ok: true; summary: TlsSummary } | { ok: false; error: string } {
    let next: { cert: Buffer; key: Buffer };
    try {
      next = readPair(this.files);
    } catch (err) {
      this.log.error({ err, certFile: this.files.certFile }, 'TLS reload refused: the old certificate stays in use');
      return { ok: false, error: (err as Error).message };
    }
    this.current = next;
    for (const s of this.servers) s.setSecureContext(next);
    const summary = this.summary;
    this.log.info({ ...summary, listeners: this.servers.size }, 'TLS certificate reloaded');
    return { ok: true, summary };
  }
}

/** Reads and checks a pair: the key must match the certificate (createSecureContext refuses a mismatch). */
function readPair(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const cert = readFileSync(files.certFile);
  const key = readFileSync(files.keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`${files.certFile} / ${files.keyFile}: not a matching PEM certificate and key (${(err as Error).message})`);
  }
  return { cert, key };
}

/**
 * The operator's pair if configured (both keys or neither), else the self-signed pair in `dataDir/tls`, generated
 * with the openssl CLI on first start. Its names: localhost, 127.0.0.1, ::1, this host's name and `extraNames`.
 */
export function resolveTlsFiles(o: { certFile: string; keyFile: string; dataDir: string; extraNames?: string[]; log: Logger }): TlsFiles {
  if (o.certFile || o.keyFile) {
    if (!o.certFile || !o.keyFile) throw new Error('SW_TLS_CERT_FILE and SW_TLS_KEY_FILE must be set together');
    return { certFile: path.resolve(o.certFile), keyFile: path.resolve(o.keyFile), selfSigned: false };
  }
  const dir = path.join(o.dataDir, 'tls');
  const files = { certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key'), selfSigned: true };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  generateSelfSigned(files, [...selfSignedNames(), ...(o.extraNames ?? [])]);
  o.log.warn(
    { certFile: files.certFile },
    'no TLS certificate configured: generated a self-signed one (devices must trust this file; set SW_TLS_CERT_FILE/SW_TLS_KEY_FILE for a real one)',
  );
  return files;
}

function selfSignedNames(): string[] {
  const host = os.hostname();
  return ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...(/^[A-Za-z0-9.-]+$/.test(host) ? [`DNS:${host}`] : [])];
}

/** ECDSA P-256, 825 days (the longest validity clients accept for a server certificate), written atomically, key 0600. */
function generateSelfSigned(files: TlsFiles, names: string[]): void {
  const tmpKey = `${files.keyFile}.tmp`;
  const tmpCrt = `${files.certFile}.tmp`;
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-sha256',
        '-days',
        '825',
        '-keyout',
        tmpKey,
        '-out',
        tmpCrt,
        '-subj',
        '/O=smartward/CN=smartward self-signed',
        '-addext',
        `subjectAltName=${[...new Set(names)].join(',')}`,
        // It is its own trust anchor: devices load it as their CA file (mosquitto_pub --cafile, curl --cacert).
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
  } catch (err) {
    rmSync(tmpKey, { force: true });
    rmSync(tmpCrt, { force: true });
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'cannot generate a self-signed TLS certificate: the openssl command is not installed (install openssl, or set SW_TLS_CERT_FILE and SW_TLS_KEY_FILE)'
        : `openssl could not generate a self-signed certificate: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`,
    );
  }
  chmodSync(tmpKey, 0o600);
  renameSync(tmpKey, files.keyFile);
  renameSync(tmpCrt, files.certFile);
}

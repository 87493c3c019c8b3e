/**
 * What `npm start` prints once it is up. The generated administrator password is shown only this once, so it goes in a
 * framed block printed after the start-up log lines have stopped (modules log their first jobs a moment after start;
 * printed earlier, the password scrolled out of sight under them).
 */
export interface BannerFacts {
  database: string;
  /** Plain listeners may be off (empty or null) in production; the TLS ones are null when off. */
  urls: { mqtt: string | null; mqttWs: string | null; http: string | null; mqtts?: string | null; mqttWss?: string | null; https?: string | null };
  firstAdmin: { username: string; password: string | null } | null;
  /** The self-signed certificate made at first start (devices need it as their CA file), or null. */
  selfSignedCert?: string | null;
  demo: string | null;
}

export function startBanner(f: BannerFacts): string {
  const u = f.urls;
  const web = u.https || u.http;
  const lines = [`Smart-ward backend is running (${f.database})`];
  if (u.mqtt) lines.push(`MQTT      ${u.mqtt}${u.mqttWs ? `   WebSocket ${u.mqttWs}` : ''}`);
  if (u.mqtts) lines.push(`MQTT/TLS  ${u.mqtts}${u.mqttWss ? `   secure WebSocket ${u.mqttWss}` : ''}`);
  if (u.http && u.https) lines.push(`HTTP      ${u.http}   HTTPS ${u.https}`);
  lines.push(`HTTP API  ${web}/api/v1     OpenAPI docs ${web}/docs`, `Dashboard ${web}/`);
  if (f.selfSignedCert) lines.push(`TLS       self-signed certificate ${f.selfSignedCert} (devices: --cafile it; set SW_TLS_CERT_FILE for a real one)`);
  if (f.firstAdmin) {
    lines.push(`First administrator: ${f.firstAdmin.username}`);
    if (f.firstAdmin.password) {
      lines.push(`Password (shown once, change it): ${f.firstAdmin.password}`, 'Mật khẩu quản trị chỉ hiện một lần: hãy lưu lại và đổi sau khi đăng nhập.');
    } else lines.push('Password: the one set in SW_ADMIN_PASSWORD');
  } else {
    lines.push('Log in: POST /api/v1/auth/login with an existing user');
  }
  if (f.demo) lines.push(`Demo ward: ${f.demo}`);
  const width = Math.max(...lines.map((l) => l.length)) + 2;
  const rule = '═'.repeat(width);
  return ['', `╔${rule}╗`, ...lines.map((l) => `║ ${l.padEnd(width - 1)}║`), `╚${rule}╝`, ''].join('\n');
}

/** Resolves once nothing was logged for `quietMs` (or after `maxMs` whatever happens). */
export async function waitForQuiet(lastWriteAt: () => number, o: { quietMs: number; maxMs: number }, now: () => number = Date.now): Promise<void> {
  const deadline = now() + o.maxMs;
  for (;;) {
    const t = now();
    const quietFor = t - lastWriteAt();
    if (quietFor >= o.quietMs || t >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(o.quietMs - quietFor, deadline - t)));
  }
}

/**
 * What `npm start` prints once it is up. The generated administrator password is shown only this once, so it goes in a
 * framed block printed after the start-up log lines have stopped (modules log their first jobs a moment after start;
 * printed earlier, the password scrolled out of sight under them).
 */
export interface BannerFacts {
  database: string;
  urls: { mqtt: string; mqttWs: string | null; http: string };
  firstAdmin: { username: string; password: string | null } | null;
  demo: string | null;
}

export function startBanner(f: BannerFacts): string {
  const lines = [
    `Smart-ward backend is running (${f.database})`,
    `MQTT      ${f.urls.mqtt}${f.urls.mqttWs ? `   WebSocket ${f.urls.mqttWs}` : ''}`,
    `HTTP API  ${f.urls.http}/api/v1     OpenAPI docs ${f.urls.http}/docs`,
    `Dashboard ${f.urls.http}/`,
  ];
  if (f.firstAdmin) {
    lines.push(`First administrator: ${f.firstAdmin.username}`);
    if (f.firstAdmin.password) {
      lines.push(
        `Password (shown once, change it): ${f.firstAdmin.password}`,
        'Mật khẩu quản trị chỉ hiện một lần: hãy lưu lại và đổi sau khi đăng nhập.',
      );
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

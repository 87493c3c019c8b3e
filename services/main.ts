import { createLogger } from './common/logger.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { startApp } from './app.ts';

/** Entry point: validate config, start everything, print how to connect, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel });
  const app = await startApp(config, log);
  // `npm start -- --demo`: a simulated ward on top of the real service (simulators/demo.ts).
  const demo = process.argv.slice(2).includes('--demo') ? await (await import('../simulators/demo.ts')).startDemo(app) : null;
  const urls = app.urls();
  const lines = [
    '',
    `  Smart-ward backend is running (${app.db.description})`,
  ];
  if (urls.mqtt) lines.push(`  MQTT      ${urls.mqtt}${urls.mqttWs ? `   WebSocket ${urls.mqttWs}` : ''}`);
  if (urls.mqtts) lines.push(`  MQTT/TLS  ${urls.mqtts}${urls.mqttWss ? `   secure WebSocket ${urls.mqttWss}` : ''}`);
  const web = urls.https ?? urls.http;
  if (urls.http && urls.https) lines.push(`  HTTP API  ${urls.http}/api/v1   HTTPS ${urls.https}/api/v1`);
  else lines.push(`  HTTP API  ${web}/api/v1`);
  lines.push(`  OpenAPI   ${web}/docs`, `  Dashboard ${web}/`);
  if (app.tls?.files.selfSigned) lines.push(`  TLS       self-signed certificate ${app.tls.files.certFile} (devices: --cafile it; set SW_TLS_CERT_FILE for a real one)`);
  if (app.firstAdmin) {
    lines.push(
      `  First administrator: ${app.firstAdmin.username}`,
      app.firstAdmin.password
        ? `  Password (shown once, change it): ${app.firstAdmin.password}`
        : '  Password: the one set in SW_ADMIN_PASSWORD',
    );
  } else {
    lines.push('  Log in: POST /api/v1/auth/login with an existing user');
  }
  if (demo) lines.push(`  Demo ward: ${demo.devices} simulated MQTT devices and ${demo.cameras} cameras reporting (stop with Ctrl-C)`);
  console.log(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    (demo ? demo.stop() : Promise.resolve()).then(() => app.stop()).then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  // SIGHUP: new TLS certificate and key from the same files, without dropping a connection (README "Security").
  process.on('SIGHUP', () => {
    const r = app.reloadTls();
    if (!r.ok) log.warn({ error: r.error }, 'SIGHUP: TLS not reloaded');
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`Start failed: ${err.message}`);
  process.exit(1);
});

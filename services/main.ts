import { createLogger } from './common/logger.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { startApp } from './app.ts';
import { startBanner, waitForQuiet } from './start-banner.ts';

/** Entry point: validate config, start everything, print how to connect, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  const demoMode = process.argv.slice(2).includes('--demo');
  // The demo's simulated cameras listen on loopback, which SW_NETWORKS_CAMERA refuses by default.
  if (demoMode) process.env.SW_NETWORKS_CAMERA ??= '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8';
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // The banner waits for the start-up log lines to stop, so the generated password is the last thing on the screen.
  let lastLogAt = Date.now();
  const log = createLogger({
    level: config.logLevel,
    destination: {
      write: (line: string) => {
        lastLogAt = Date.now();
        process.stdout.write(line);
      },
    },
  });
  const app = await startApp(config, log);
  // `npm start -- --demo`: a simulated ward on top of the real service (simulators/demo.ts).
  const demo = process.argv.slice(2).includes('--demo') ? await (await import('../simulators/demo.ts')).startDemo(app) : null;
  await waitForQuiet(() => lastLogAt, { quietMs: 750, maxMs: 5000 });
  console.log(
    startBanner({
      database: app.db.description,
      urls: app.urls(),
      firstAdmin: app.firstAdmin,
      selfSignedCert: app.tls?.files.selfSigned ? app.tls.files.certFile : null,
      demo: demo ? `${demo.devices} simulated MQTT devices and ${demo.cameras} cameras reporting (stop with Ctrl-C)` : null,
    }),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    (demo ? demo.stop() : Promise.resolve())
      .then(() => app.stop())
      .then(
        () => process.exit(0),
        (err: Error) => {
          log.error({ err }, 'unclean stop');
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

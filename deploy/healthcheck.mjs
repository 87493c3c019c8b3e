// Container HEALTHCHECK: exit 0 when the service answers /ready with 200 (database and broker up), 1 otherwise.
// Plain JavaScript on purpose: it runs every 15 s and must not pay for the TypeScript loader.
import http from 'node:http';
import https from 'node:https';

const env = process.env;
const local = (host) => (!host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
// Plain HTTP is on as the service decides it (SW_PLAIN_LISTENERS): auto = off in production unless SW_HTTP_PORT is set.
const plainMode = env.SW_PLAIN_LISTENERS ?? 'auto';
const plainOn = plainMode === 'on' || (plainMode === 'auto' && (env.NODE_ENV !== 'production' || env.SW_HTTP_PORT !== undefined));
const httpPort = plainOn ? Number(env.SW_HTTP_PORT ?? 8080) : -1;
// With plain HTTP switched off (-1), ask the HTTPS listener; its certificate names the public host, not 127.0.0.1.
const target =
  httpPort > 0
    ? { lib: http, port: httpPort, rejectUnauthorized: undefined }
    : { lib: https, port: Number(env.SW_HTTPS_PORT ?? 8443), rejectUnauthorized: false };

const req = target.lib.get(
  { host: local(env.SW_HTTP_HOST), port: target.port, path: '/ready', timeout: 4000, rejectUnauthorized: target.rejectUnauthorized },
  (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  },
);
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (err) => {
  console.error(`healthcheck: ${err.message}`);
  process.exit(1);
});

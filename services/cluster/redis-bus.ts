import { createRequire } from 'node:module';
import MQEmitterRedis from 'mqemitter-redis';
import type { Logger } from '../common/logger.ts';

/** ioredis connection options from a redis:// or rediss:// URL (user, password, database index, TLS). */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
}

export function redisTarget(url: string): RedisTarget {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  if (!Number.isInteger(db) || db < 0) throw new Error(`SW_CLUSTER_REDIS_URL: '${u.pathname}' is not a database index`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** The part of mqemitter's API the cluster uses (the broker gets the whole object). */
export interface Bus {
  on(topic: string, fn: (msg: { topic: string } & Record<string, unknown>, done: () => void) => void, cb?: () => void): unknown;
  emit(msg: { topic: string } & Record<string, unknown>, cb?: (err?: Error) => void): void;
  close(cb: () => void): void;
}

const require = createRequire(import.meta.url);

/**
 * The shared parts of aedes' own clustering (DESIGN.md, "Beyond one machine"): a message bus over Redis pub/sub, so a
 * command published on any node reaches the node holding the device's connection, and sessions (subscriptions,
 * QoS 1 packets in flight and queued for offline clients, retained messages, wills) in Redis, so they outlive the
 * node that took them. Redis pub/sub channels are not per database index: a channel prefix is not available in
 * mqemitter-redis, so two clusters must not share one Redis server unless their topics differ (they carry device ids).
 */
export function createRedisBus(url: string, log: Logger, what: string): Bus {
  const target = redisTarget(url);
  // Reconnect forever with a capped back-off; errors are logged once per outage, not per retry.
  let failing = false;
  const mq = new (MQEmitterRedis as unknown as new (o: object) => Bus & { state: NodeJS.EventEmitter })({
    ...target,
    retryStrategy: (n: number) => Math.min(200 * n, 2000),
    // mqemitter's topic rules must match MQTT's ([MQTT-4.7.1-3]: `a/#` also matches `a`).
    matchEmptyLevels: true,
  });
  mq.state.on('error', (err: Error) => {
    if (failing) return;
    failing = true;
    log.error({ err, bus: what }, 'Redis bus unreachable; retrying');
  });
  mq.state.on('pubConnect', () => {
    if (failing) log.info({ bus: what }, 'Redis bus reachable again');
    failing = false;
  });
  return mq;
}

/** aedes-persistence-redis on the same Redis (its own connection). */
export function createRedisPersistence(url: string): unknown {
  const make = require('aedes-persistence-redis') as (o: object) => unknown;
  return make({ ...redisTarget(url), retryStrategy: (n: number) => Math.min(200 * n, 2000) });
}

/**
 * Database faults behind the service's back, on a real PostgreSQL reached through the drill's own TCP proxy: a 60 s
 * outage (devices keep publishing and some reconnect meanwhile), a read-only database (as after a failover to a
 * replica: SQLSTATE 25006 on every write), and a slow one (every COMMIT delayed by 1 s for 60 s).
 */
import type { Drill, DrillOutcome } from '../lib/drill.ts';
import { adminToken, startService, type ServiceProcess } from '../lib/service.ts';
import { Fleet, provision, proxiedDb, readiness, scrape, setReadOnly, sleep, storedOnPg, tally, type ProxiedDb } from './fault-kit.ts';

const DEVICES = 20;
const PERIOD_MS = 250;

interface Setup {
  db: ProxiedDb;
  svc: ServiceProcess;
  token: string;
  ids: string[];
  fleet: Fleet;
}

async function setUp(prefix: string, env: Record<string, string> = {}): Promise<Setup> {
  const db = await proxiedDb();
  const svc = await startService({ env: { SW_DATABASE_URL: db.serviceUrl, SW_INGEST_REPLAY_INTERVAL_MS: '500', ...env } });
  const token = await adminToken(svc.httpUrl);
  const ids = Array.from({ length: DEVICES }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
  const fleet = new Fleet(svc.mqttUrl, await provision(svc.httpUrl, token, ids));
  await fleet.connect();
  return { db, svc, token, ids, fleet };
}

/** Stops publishing, lets the spool drain into the database, stops the service and counts what was stored. */
async function finish(s: Setup, check: (c: ReturnType<typeof tally>) => string | null, extra: Record<string, number | string> = {}): Promise<DrillOutcome> {
  await s.fleet.close();
  const until = Date.now() + 60_000;
  while (Date.now() < until && (await scrape(s.svc.httpUrl, s.token, 'sw_ingest_spool_batches')) > 0) await sleep(500);
  const refused = await scrape(s.svc.httpUrl, s.token, 'sw_ingest_storage_refused_total');
  await s.svc.stop();
  const counts = tally(s.fleet, await storedOnPg(s.db.directUrl, s.ids), { 'rows refused': refused, ...extra });
  const problem = check(counts) ?? (counts.lost > 0 ? `${counts.lost} acknowledged messages were not stored (log: ${s.svc.logFile})` : null);
  if (!problem) s.svc.cleanup();
  await s.db.close();
  return { passed: !problem, detail: problem ?? 'every acknowledged message was stored', counts };
}

const outage: Drill = {
  name: 'database outage 60 s',
  timeoutMs: 240_000,
  async run() {
    const s = await setUp('dr-out');
    s.fleet.start(PERIOD_MS);
    await sleep(5000);
    s.db.proxy.cut();
    await sleep(20_000);
    // Devices that drop and reconnect while the database is away must get in (credential cache).
    const reconnecting = s.fleet.clients.slice(0, 5);
    for (const c of reconnecting) c.stream.destroy();
    await sleep(3000);
    const back = reconnecting.filter((c) => c.connected).length;
    await sleep(37_000);
    s.db.proxy.restore();
    await sleep(10_000);
    return finish(
      s,
      (c) =>
        back < reconnecting.length
          ? `${reconnecting.length - back} of ${reconnecting.length} devices could not reconnect during the outage`
          : Number(c.acked) < Number(c.sent) * 0.95
            ? `only ${c.acked} of ${c.sent} messages acknowledged`
            : null,
      { reconnected: `${back}/${reconnecting.length}` },
    );
  },
};

const readOnly: Drill = {
  name: 'read-only database 20 s',
  timeoutMs: 180_000,
  async run() {
    const s = await setUp('dr-ro');
    s.fleet.start(PERIOD_MS);
    await sleep(5000);
    await setReadOnly(s.db, true);
    await sleep(20_000);
    await setReadOnly(s.db, false);
    await sleep(10_000);
    return finish(s, (c) => (Number(c['rows refused']) > 0 ? `${c['rows refused']} valid rows were turned into dead letters` : null));
  },
};

const slow: Drill = {
  name: 'slow database 1 s/write for 60 s',
  timeoutMs: 300_000,
  async run() {
    const s = await setUp('dr-slow');
    s.fleet.start(PERIOD_MS);
    await sleep(5000);
    s.db.proxy.setDelay({ ms: 1000, match: Buffer.from('COMMIT\0') });
    const seen = new Set<string>();
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      await sleep(2000);
      const r = await readiness(s.svc.httpUrl);
      seen.add(`${r.status}:${String(r.body.status ?? (r.body.ready ? 'ok' : 'not ready'))}`);
    }
    s.db.proxy.setDelay(null);
    // A slow commit keeps "degraded" for 30 s (no flapping), then /ready must be plain ok again.
    let after = await readiness(s.svc.httpUrl);
    const recoverBy = Date.now() + 50_000;
    while (after.status !== 200 && Date.now() < recoverBy) {
      await sleep(1000);
      after = await readiness(s.svc.httpUrl);
    }
    const degraded = [...seen].some((x) => x.includes('degraded'));
    return finish(
      s,
      (c) =>
        !degraded
          ? `/ready never said degraded while the database was slow (saw ${[...seen].join(', ')})`
          : after.status !== 200
            ? `/ready still ${after.status} ${JSON.stringify(after.body)} after the database recovered`
            : // Bounded by the 5 s deadline; the margin is for this shared machine (the drill client's own delays included).
              Number(c['p99 ack ms']) > 15_000
              ? `p99 PUBACK delay ${c['p99 ack ms']} ms: past three times the 5 s deadline`
              : null,
      { ready: [...seen].join(' ') },
    );
  },
};

export const drills: Drill[] = [outage, readOnly, slow];

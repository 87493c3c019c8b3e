/**
 * A full spool: the database is away and the spool reaches SW_SPOOL_MAX_BYTES. Beyond it the service refuses (no PUBACK,
 * devices resend later) with a counted reason instead of filling the disk; once the database is back every message a
 * device was told is durable is stored, and the refused ones arrive when the devices resend them.
 */
import type { Drill } from '../lib/drill.ts';
import { adminToken, startService } from '../lib/service.ts';
import { Fleet, provision, proxiedDb, readiness, scrape, sleep, storedOnPg, tally } from './fault-kit.ts';

const CAP = 256 * 1024;

const fullSpool: Drill = {
  name: 'full spool (256 KiB cap) during an outage',
  timeoutMs: 240_000,
  async run() {
    const db = await proxiedDb();
    const svc = await startService({ env: { SW_DATABASE_URL: db.serviceUrl, SW_INGEST_REPLAY_INTERVAL_MS: '500', SW_SPOOL_MAX_BYTES: String(CAP) } });
    const token = await adminToken(svc.httpUrl);
    const ids = Array.from({ length: 10 }, (_, i) => `dr-full-${i}`);
    const fleet = new Fleet(svc.mqttUrl, await provision(svc.httpUrl, token, ids));
    await fleet.connect();
    fleet.start(100);
    await sleep(3000);
    db.proxy.cut();
    // /metrics needs the database (token check): the spool size comes from the public /ready meanwhile.
    let peak = 0;
    let down = false;
    const until = Date.now() + 25_000;
    while (Date.now() < until) {
      await sleep(1000);
      const r = await readiness(svc.httpUrl);
      peak = Math.max(peak, (r.body.spool as { bytes?: number } | undefined)?.bytes ?? 0);
      down ||= r.body.status === 'down';
    }
    db.proxy.restore();
    await sleep(3000);
    const refused = await scrape(svc.httpUrl, token, 'sw_ingest_spool_refused_total');
    await sleep(15_000);
    await fleet.close(30_000);
    const drainUntil = Date.now() + 60_000;
    while (Date.now() < drainUntil && (await scrape(svc.httpUrl, token, 'sw_ingest_spool_batches')) > 0) await sleep(500);
    await svc.stop();
    const counts = tally(fleet, await storedOnPg(db.directUrl, ids), { 'refused batches': refused, 'peak spool KiB': Math.round(peak / 1024) });
    await db.close();
    const problem =
      counts.lost > 0
        ? `${counts.lost} acknowledged messages were not stored`
        : refused === 0
          ? 'the spool never refused: no cap in force'
          : peak > CAP
            ? `the spool grew to ${peak} bytes, past its ${CAP}-byte cap`
            : !down
              ? '/ready never said down while messages were refused'
              : null;
    if (!problem) svc.cleanup();
    return { passed: !problem, detail: problem ?? 'refused past the cap without a PUBACK; every acknowledged message stored', counts };
  },
};

export const drills: Drill[] = [fullSpool];

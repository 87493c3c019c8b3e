import type { BrokerService } from './broker/broker.service.ts';
import type { Db } from './db/db.ts';
import type { IngestService } from './ingest/ingest.service.ts';

/**
 * GET /ready. `status` is what operators and monitors read:
 * - `ok` (HTTP 200): database answering, batches committing in time, broker listening;
 * - `degraded` (HTTP 503, or 200 with `?degraded=ok`): messages are still made durable, but through the spool or late
 *   (database unreachable, read-only, slow, spool replaying) — `reasons` says which;
 * - `down` (HTTP 503 always): messages are being refused (spool full, disk error) or the broker is not listening.
 * A TCP load balancer in front of several instances should probe `/ready?degraded=ok`: a degraded instance still accepts
 * devices safely, and every instance usually shares the database that degrades them. Rollouts and alerting use `/ready`.
 */
export type ReadyStatus = 'ok' | 'degraded' | 'down';

export interface Readiness {
  ready: boolean;
  status: ReadyStatus;
  reasons: string[];
  checks: Record<string, string>;
  /** The disk spool now (also while the database, and so the authenticated /metrics, is away). */
  spool: { batches: number; bytes: number; quarantined: number };
}

const PROBE_TIMEOUT_MS = 2000;

export async function readiness(db: Db, broker: BrokerService, ingest: IngestService): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const reasons: string[] = [];
  let status: ReadyStatus = 'ok';
  const worse = (s: ReadyStatus): void => {
    if (s === 'down' || (s === 'degraded' && status === 'ok')) status = s;
  };
  try {
    await within(db.query('SELECT 1'), PROBE_TIMEOUT_MS);
    checks.database = 'ok';
  } catch (err) {
    checks.database = `down: ${(err as Error).message}`;
    reasons.push(`database does not answer: ${(err as Error).message}`);
    worse('degraded');
  }
  const ing = ingest.readiness();
  checks.ingest = ing.status === 'ok' ? 'ok' : `${ing.status}: ${ing.reasons.join('; ')}`;
  reasons.push(...ing.reasons);
  worse(ing.status);
  checks.spool = `${ing.spooledBatches} batches, ${ing.spooledBytes} bytes waiting`;
  if (ing.quarantinedBatches) checks.spool += `; ${ing.quarantinedBatches} quarantined in spool/poison (docs/durability.md)`;
  checks.mqtt = broker.address.port ? 'ok' : 'down';
  if (checks.mqtt !== 'ok') {
    reasons.push('MQTT broker not listening');
    worse('down');
  }
  const spool = { batches: ing.spooledBatches, bytes: ing.spooledBytes, quarantined: ing.quarantinedBatches };
  return { ready: status === 'ok', status, reasons, checks, spool };
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

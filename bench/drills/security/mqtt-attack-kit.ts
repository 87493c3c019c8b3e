/**
 * Shared scaffolding of the broker security drills: a service of its own on a scratch PostgreSQL database, a fleet of
 * valid devices publishing QoS 1 telemetry all through the attack, and the tally of what they lost (acknowledged but
 * not stored: must be 0). Attackers use other loopback source addresses (127.0.0.2+) than the valid fleet (127.0.0.1).
 */
import { readFileSync } from 'node:fs';
import { createScratchDatabase, PG_ADMIN_URL } from '../../../tests/helpers/db-modes.ts';
import type { Counts } from '../lib/drill.ts';
import { adminToken, startService, type ServiceProcess } from '../lib/service.ts';
import { Fleet, provision, scrape, sleep, storedOnPg, tally, type Creds } from '../faults/fault-kit.ts';

export interface Arena {
  svc: ServiceProcess;
  token: string;
  dbUrl: string;
  fleet: Fleet;
  ids: string[];
  provision(ids: string[]): Promise<Creds[]>;
  refused(labels: string): Promise<number>;
  /** Stops the fleet and the service; the valid fleet's tally plus `extra`. */
  finish(extra?: Counts): Promise<Counts & { lost: number; duplicated: number }>;
  close(passed: boolean): Promise<void>;
}

export async function arena(name: string, env: Record<string, string> = {}, devices = 20): Promise<Arena> {
  const scratch = await createScratchDatabase(PG_ADMIN_URL);
  const svc = await startService({ env: { SW_DATABASE_URL: scratch.url, ...env } });
  const token = await adminToken(svc.httpUrl);
  const ids = Array.from({ length: devices }, (_, i) => `sec-${name}-${i}`);
  const fleet = new Fleet(svc.mqttUrl, await provision(svc.httpUrl, token, ids));
  await fleet.connect();
  fleet.start(200);
  await sleep(1000);
  return {
    svc,
    token,
    dbUrl: scratch.url,
    fleet,
    ids,
    provision: (more) => provision(svc.httpUrl, token, more),
    refused: (labels) => scrape(svc.httpUrl, token, `sw_mqtt_refused_total{${labels}}`),
    async finish(extra = {}) {
      await fleet.close(20_000);
      await svc.stop();
      return tally(fleet, await storedOnPg(scratch.url, ids), extra);
    },
    async close(passed) {
      await scratch.drop();
      if (passed) svc.cleanup();
    },
  };
}

/** Lines of the service log that match `re` (the pino JSON log in the drill's data folder). */
export const logLines = (svc: ServiceProcess, re: RegExp): number =>
  readFileSync(svc.logFile, 'utf8')
    .split('\n')
    .filter((l) => re.test(l)).length;

export const mib = (b: number): number => Math.round(b / 1048576);

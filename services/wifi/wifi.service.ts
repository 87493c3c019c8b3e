/**
 * WiFi sessions and captive-portal logins (docs/wifi-marketing.md): folds the access points' session events (already
 * stripped of clear personal data by ingest) into per-session rows and consent records, counts distinct users per
 * period, and enforces the retention of personal data.
 */
import { DEVICE_KINDS } from '../../devices/index.ts';
import type { SessionCapability } from '../../devices/types.ts';
import type { Logger } from '../common/logger.ts';
import type { Metrics } from '../common/metrics.ts';
import { HASH_PREFIX } from '../ingest/personal-data.ts';
import type { LoginRow, SessionPart, WifiRepository } from './wifi.repository.ts';

export interface SessionEvent {
  time: string | Date;
  deviceId: string;
  event: string;
  data: Record<string, unknown>;
}

/** What the indicators read (IndicatorSpec.sessions.uniqueUsersSource = WIFI_USERS_SOURCE). */
export interface UniqueUsersSource {
  /** Distinct user keys (hashes) per device, over sessions overlapping [from, to). */
  usersByDevice(deviceIds: string[], from: number, to: number): Promise<Map<string, string[]>>;
}

export const WIFI_USERS_SOURCE = 'wifi.sessions';
/** Raw session/login events are kept this long at most (longer than the fold's catch-up window at start, 2 days). */
export const RAW_EVENT_KEEP_DAYS = 7;

const M = {
  records: ['sw_wifi_records_total', 'WiFi session and portal records folded in, by type and result'],
  purged: ['sw_wifi_purged_total', 'Personal-data rows removed by the retention job, by table'],
} as const;

const caps = (): SessionCapability[] => DEVICE_KINDS.flatMap((k) => (k.capabilities?.sessions ? [k.capabilities.sessions] : []));

const str = (v: unknown, max = 128): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null);
const hash = (v: unknown): string | null => (typeof v === 'string' && v.startsWith(HASH_PREFIX) ? v : null);

export type Folded = { sessions: SessionPart[]; logins: LoginRow[]; refused: { deviceId: string; event: string; reason: string }[] };

/** Pure: session/login events → rows. A record without a session id (or with an unhashed client) is refused with a reason. */
export function foldEvents(events: readonly SessionEvent[], capabilities: readonly SessionCapability[] = caps()): Folded {
  const out: Folded = { sessions: [], logins: [], refused: [] };
  for (const e of events) {
    const cap = capabilities.find((c) => [c.startEvent, c.updateEvent, c.stopEvent, c.loginEvent].includes(e.event));
    if (!cap) continue;
    const at = typeof e.time === 'string' ? e.time : e.time.toISOString();
    const d = e.data;
    const sessionId = str(d.sessionId, 64);
    if (!sessionId) {
      out.refused.push({ deviceId: e.deviceId, event: e.event, reason: "'sessionId' is missing or not a string of 1–64 characters" });
      continue;
    }
    if (d.mac !== undefined && hash(d.mac) === null) {
      // Ingest hashes declared fields; anything else here is not a hash and must not be stored.
      out.refused.push({ deviceId: e.deviceId, event: e.event, reason: "'mac' is not a keyed hash" });
      continue;
    }
    if (e.event === cap.loginEvent) {
      const consentVersion = str(d.consentVersion, 32);
      if (!consentVersion) {
        out.refused.push({ deviceId: e.deviceId, event: e.event, reason: "a portal login needs 'consentVersion' (what the user agreed to)" });
        continue;
      }
      const purposes = Array.isArray(d.consentPurposes) ? d.consentPurposes.filter((p): p is string => typeof p === 'string').slice(0, 20) : [];
      out.logins.push({
        deviceId: e.deviceId,
        sessionId,
        at,
        clientHash: hash(d.mac),
        phoneHash: hash(d.phone),
        method: str(d.method, 32) ?? 'unknown',
        consentVersion,
        consentPurposes: purposes,
        language: str(d.language, 8) ?? 'vi',
      });
      continue;
    }
    out.sessions.push({
      deviceId: e.deviceId,
      sessionId,
      at,
      clientHash: hash(d.mac),
      ssid: str(d.ssid, 32),
      started: e.event === cap.startEvent,
      stopped: e.event === cap.stopEvent,
      bytesIn: num(d.bytesIn),
      bytesOut: num(d.bytesOut),
      durationS: num(d.durationS),
      cause: e.event === cap.stopEvent ? str(d.cause, 64) : null,
    });
  }
  return out;
}

export interface WifiServiceOptions {
  repo: WifiRepository;
  log: Logger;
  metrics: Metrics;
  retentionDays: number;
  clock?: () => number;
}

export class WifiService implements UniqueUsersSource {
  private readonly o: WifiServiceOptions;
  private readonly clock: () => number;
  private readonly eventNames: string[];

  constructor(o: WifiServiceOptions) {
    this.o = o;
    this.clock = o.clock ?? Date.now;
    this.eventNames = [...new Set(caps().flatMap((c) => [c.startEvent, c.updateEvent, c.stopEvent, c.loginEvent]))];
  }

  /** Folds events in (idempotent: any order, any number of times). */
  async ingest(events: readonly SessionEvent[]): Promise<void> {
    const mine = events.filter((e) => this.eventNames.includes(e.event));
    if (!mine.length) return;
    const f = foldEvents(mine);
    await this.o.repo.upsertSessions(f.sessions);
    await this.o.repo.insertLogins(f.logins);
    this.o.metrics.inc(M.records[0], M.records[1], { type: 'session', result: 'stored' }, f.sessions.length);
    this.o.metrics.inc(M.records[0], M.records[1], { type: 'login', result: 'stored' }, f.logins.length);
    for (const r of f.refused) {
      this.o.metrics.inc(M.records[0], M.records[1], { type: r.event, result: 'refused' });
      this.o.log.warn({ deviceId: r.deviceId, event: r.event, reason: r.reason }, 'WiFi record refused');
    }
  }

  /** Re-folds what the database holds since `sinceMs` ago (a crash between commit and fold loses nothing). */
  async catchUp(sinceMs: number): Promise<number> {
    const evs = await this.o.repo.eventsSince(this.eventNames, new Date(this.clock() - sinceMs));
    await this.ingest(evs);
    return evs.length;
  }

  usersByDevice(deviceIds: string[], from: number, to: number): Promise<Map<string, string[]>> {
    return this.o.repo.usersByDevice(deviceIds, new Date(from), new Date(to));
  }

  /** Distinct users (client hashes) over a period, whole ward. */
  async uniqueUsers(from: number, to: number): Promise<{ sessions: number; uniqueUsers: number; bytes: number; durationS: number }> {
    const t = await this.o.repo.sessionTotals(new Date(from), new Date(to));
    return { sessions: t.sessions, uniqueUsers: t.users, bytes: t.bytes, durationS: t.durationS };
  }

  /** What the retention job keeps, for the dashboard: personal records in days, raw session/login events in days. */
  retention(): { personalRetentionDays: number; rawEventKeepDays: number } {
    return { personalRetentionDays: this.o.retentionDays, rawEventKeepDays: Math.min(RAW_EVENT_KEEP_DAYS, this.o.retentionDays) };
  }

  /** The retention job: personal records older than the configured days are removed. */
  async purge(): Promise<{ sessions: number; logins: number; events: number; cutoff: string }> {
    const cutoff = new Date(this.clock() - this.o.retentionDays * 86_400_000);
    // The raw events are only the input of the fold (and its catch-up after a restart): once folded they duplicate the
    // records, so they go after RAW_EVENT_KEEP_DAYS (data minimisation; ~270k rows a day for 60 busy points).
    const eventsCutoff = new Date(Math.max(cutoff.getTime(), this.clock() - RAW_EVENT_KEEP_DAYS * 86_400_000));
    const r = await this.o.repo.purgeBefore(cutoff, this.eventNames, eventsCutoff);
    for (const [table, n] of Object.entries(r)) if (n) this.o.metrics.inc(M.purged[0], M.purged[1], { table }, n);
    if (r.sessions || r.logins || r.events)
      this.o.log.info({ ...r, cutoff: cutoff.toISOString(), retentionDays: this.o.retentionDays }, 'personal WiFi records past retention removed');
    return { ...r, cutoff: cutoff.toISOString() };
  }
}

/** SQL of the WiFi sessions and captive-portal records (services/wifi). Personal fields arrive hashed. */
import { scopedWards } from '../auth/ward-scope.ts';
import type { Db } from '../db/db.ts';

export interface SessionPart {
  deviceId: string;
  sessionId: string;
  at: string;
  clientHash: string | null;
  ssid: string | null;
  started: boolean;
  stopped: boolean;
  bytesIn: number | null;
  bytesOut: number | null;
  durationS: number | null;
  cause: string | null;
}

export interface LoginRow {
  deviceId: string;
  sessionId: string;
  at: string;
  clientHash: string | null;
  phoneHash: string | null;
  method: string;
  consentVersion: string;
  consentPurposes: string[];
  language: string;
}

export interface SessionView {
  deviceId: string;
  sessionId: string;
  clientHash: string | null;
  ssid: string | null;
  startedAt: string | null;
  endedAt: string | null;
  bytesIn: number;
  bytesOut: number;
  durationS: number;
  endCause: string | null;
}

export interface ConsentVersion {
  version: string;
  textVi: string;
  textEn: string;
  purposes: string[];
  publishedAt: string;
  publishedBy: string;
}

export interface LoginSummary {
  logins: number;
  distinctClients: number;
  withPhone: number;
  byMethod: { method: string; logins: number }[];
  byConsentVersion: { version: string; known: boolean; logins: number }[];
  byPurpose: { purpose: string; logins: number }[];
  byLanguage: { language: string; logins: number }[];
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export class WifiRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Folds session records in, in any order and any number of times (redelivery, catch-up): start fields fill once,
   * counters only grow, the stop time is kept once known. Unknown devices are skipped (deleted meanwhile).
   */
  async upsertSessions(parts: SessionPart[]): Promise<void> {
    if (!parts.length) return;
    await this.db.query(
      `INSERT INTO wifi_sessions (device_id, session_id, client_hash, ssid, started_at, ended_at, last_update, bytes_in, bytes_out, duration_s, end_cause)
       SELECT p.device_id, p.session_id, p.client_hash, p.ssid,
              CASE WHEN p.started THEN p.at END, CASE WHEN p.stopped THEN p.at END, p.at,
              coalesce(p.bytes_in, 0), coalesce(p.bytes_out, 0), coalesce(p.duration_s, 0), p.cause
         FROM jsonb_to_recordset($1::jsonb) AS p(device_id text, session_id text, at timestamptz, client_hash text, ssid text, started boolean,
              stopped boolean, bytes_in bigint, bytes_out bigint, duration_s integer, cause text)
        WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = p.device_id)
       ON CONFLICT (device_id, session_id) DO UPDATE SET
         client_hash = coalesce(wifi_sessions.client_hash, EXCLUDED.client_hash),
         ssid        = coalesce(wifi_sessions.ssid, EXCLUDED.ssid),
         started_at  = coalesce(wifi_sessions.started_at, EXCLUDED.started_at),
         ended_at    = coalesce(wifi_sessions.ended_at, EXCLUDED.ended_at),
         last_update = greatest(wifi_sessions.last_update, EXCLUDED.last_update),
         bytes_in    = greatest(wifi_sessions.bytes_in, EXCLUDED.bytes_in),
         bytes_out   = greatest(wifi_sessions.bytes_out, EXCLUDED.bytes_out),
         duration_s  = greatest(wifi_sessions.duration_s, EXCLUDED.duration_s),
         end_cause   = coalesce(wifi_sessions.end_cause, EXCLUDED.end_cause)`,
      [
        JSON.stringify(
          parts.map((p) => ({
            device_id: p.deviceId,
            session_id: p.sessionId,
            at: p.at,
            client_hash: p.clientHash,
            ssid: p.ssid,
            started: p.started,
            stopped: p.stopped,
            bytes_in: p.bytesIn,
            bytes_out: p.bytesOut,
            duration_s: p.durationS,
            cause: p.cause,
          })),
        ),
      ],
    );
  }

  async insertLogins(rows: LoginRow[]): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `INSERT INTO wifi_portal_logins (device_id, session_id, at, client_hash, phone_hash, method, consent_version, consent_known, consent_purposes, language)
       SELECT p.device_id, p.session_id, p.at, p.client_hash, p.phone_hash, p.method, p.consent_version,
              EXISTS (SELECT 1 FROM wifi_consent_versions v WHERE v.version = p.consent_version),
              ARRAY(SELECT jsonb_array_elements_text(p.purposes)), p.language
         FROM jsonb_to_recordset($1::jsonb) AS p(device_id text, session_id text, at timestamptz, client_hash text, phone_hash text, method text,
              consent_version text, purposes jsonb, language text)
        WHERE EXISTS (SELECT 1 FROM devices d WHERE d.id = p.device_id)
       ON CONFLICT DO NOTHING`,
      [
        JSON.stringify(
          rows.map((r) => ({
            device_id: r.deviceId,
            session_id: r.sessionId,
            at: r.at,
            client_hash: r.clientHash,
            phone_hash: r.phoneHash,
            method: r.method,
            consent_version: r.consentVersion,
            purposes: r.consentPurposes,
            language: r.language,
          })),
        ),
      ],
    );
  }

  /** Session and login events stored since `since` (catch-up after a restart: a batch listener may have missed some). */
  async eventsSince(events: string[], since: Date): Promise<{ time: Date; deviceId: string; event: string; data: Record<string, unknown> }[]> {
    const r = await this.db.query<{ time: Date; device_id: string; event: string; data: Record<string, unknown> }>(
      `SELECT time, device_id, event, data FROM device_events WHERE event = ANY($1::text[]) AND time >= $2 ORDER BY time LIMIT 200000`,
      [events, since],
    );
    return r.rows.map((x) => ({ time: x.time, deviceId: x.device_id, event: x.event, data: x.data }));
  }

  /** Distinct client hashes per device over sessions that overlap [from, to). */
  async usersByDevice(deviceIds: string[] | null, from: Date, to: Date): Promise<Map<string, string[]>> {
    const r = await this.db.query<{ device_id: string; users: string[] }>(
      `SELECT device_id, array_agg(DISTINCT client_hash) AS users FROM wifi_sessions
        WHERE client_hash IS NOT NULL AND coalesce(started_at, last_update) < $2 AND coalesce(ended_at, last_update) >= $1
          AND ($3::text[] IS NULL OR device_id = ANY($3::text[]))
        GROUP BY device_id`,
      [from, to, deviceIds],
    );
    return new Map(r.rows.map((x) => [x.device_id, x.users]));
  }

  async sessionTotals(from: Date, to: Date): Promise<{ sessions: number; users: number; bytes: number; durationS: number }> {
    const r = await this.db.query<{ sessions: number; users: number; bytes: string; duration: string }>(
      `SELECT count(*)::int AS sessions, count(DISTINCT client_hash)::int AS users, coalesce(sum(bytes_in + bytes_out), 0)::text AS bytes,
              coalesce(sum(duration_s), 0)::text AS duration
         FROM wifi_sessions WHERE coalesce(started_at, last_update) < $2 AND coalesce(ended_at, last_update) >= $1 AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = device_id AND wd.ward_code = ANY($3::text[])))`,
      [from, to, scopedWards()],
    );
    const x = r.rows[0];
    return { sessions: x?.sessions ?? 0, users: x?.users ?? 0, bytes: Number(x?.bytes ?? 0), durationS: Number(x?.duration ?? 0) };
  }

  /** Per access point over sessions overlapping [from, to): sessions, distinct users, bytes and mean duration. */
  async perPoint(from: Date, to: Date): Promise<{ deviceId: string; sessions: number; uniqueUsers: number; bytes: number; meanDurationS: number | null }[]> {
    const r = await this.db.query<{ device_id: string; sessions: number; users: number; bytes: string; mean: number | null }>(
      `SELECT device_id, count(*)::int AS sessions, count(DISTINCT client_hash)::int AS users, coalesce(sum(bytes_in + bytes_out), 0)::text AS bytes,
              round(avg(duration_s) FILTER (WHERE ended_at IS NOT NULL))::float8 AS mean
         FROM wifi_sessions WHERE coalesce(started_at, last_update) < $2 AND coalesce(ended_at, last_update) >= $1 AND ($3::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = device_id AND wd.ward_code = ANY($3::text[])))
        GROUP BY device_id ORDER BY device_id`,
      [from, to, scopedWards()],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, sessions: x.sessions, uniqueUsers: x.users, bytes: Number(x.bytes), meanDurationS: x.mean }));
  }

  async sessions(f: { deviceId?: string; from: Date; to: Date; limit: number; offset: number }): Promise<SessionView[]> {
    const r = await this.db.query<{
      device_id: string;
      session_id: string;
      client_hash: string | null;
      ssid: string | null;
      started_at: Date | null;
      ended_at: Date | null;
      bytes_in: string;
      bytes_out: string;
      duration_s: number;
      end_cause: string | null;
    }>(
      `SELECT * FROM wifi_sessions WHERE coalesce(started_at, last_update) < $2 AND coalesce(ended_at, last_update) >= $1 AND ($3::text IS NULL OR device_id = $3)
         AND ($6::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = device_id AND wd.ward_code = ANY($6::text[])))
        ORDER BY coalesce(started_at, last_update) DESC, device_id, session_id LIMIT $4 OFFSET $5`,
      [f.from, f.to, f.deviceId ?? null, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map((x) => ({
      deviceId: x.device_id,
      sessionId: x.session_id,
      clientHash: x.client_hash,
      ssid: x.ssid,
      startedAt: iso(x.started_at),
      endedAt: iso(x.ended_at),
      bytesIn: Number(x.bytes_in),
      bytesOut: Number(x.bytes_out),
      durationS: x.duration_s,
      endCause: x.end_cause,
    }));
  }

  async logins(f: { from: Date; to: Date; limit: number; offset: number }): Promise<(Omit<LoginRow, 'at'> & { at: string; consentKnown: boolean })[]> {
    const r = await this.db.query<{
      device_id: string;
      session_id: string;
      at: Date;
      client_hash: string | null;
      phone_hash: string | null;
      method: string;
      consent_version: string;
      consent_known: boolean;
      consent_purposes: string[];
      language: string;
    }>(
      `SELECT * FROM wifi_portal_logins WHERE at >= $1 AND at < $2 AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM devices wd WHERE wd.id = device_id AND wd.ward_code = ANY($5::text[]))) ORDER BY at DESC, device_id LIMIT $3 OFFSET $4`,
      [f.from, f.to, f.limit, f.offset, scopedWards()],
    );
    return r.rows.map((x) => ({
      deviceId: x.device_id,
      sessionId: x.session_id,
      at: x.at.toISOString(),
      clientHash: x.client_hash,
      phoneHash: x.phone_hash,
      method: x.method,
      consentVersion: x.consent_version,
      consentKnown: x.consent_known,
      consentPurposes: x.consent_purposes,
      language: x.language,
    }));
  }

  /**
   * Sessions in progress per access point: started, no stop record yet, and active within `staleMs` (an AP that lost
   * a session's stop would otherwise keep it open for ever). Counts only.
   */
  async openByDevice(now: Date, staleMs: number): Promise<{ deviceId: string; open: number }[]> {
    const r = await this.db.query<{ device_id: string; n: number }>(
      `SELECT device_id, count(*)::int AS n FROM wifi_sessions
        WHERE ended_at IS NULL AND last_update >= $1::timestamptz - make_interval(secs => $2::float8 / 1000) AND last_update <= $1
        GROUP BY device_id ORDER BY device_id`,
      [now, staleMs],
    );
    return r.rows.map((x) => ({ deviceId: x.device_id, open: x.n }));
  }

  /**
   * Portal logins of [from, to) counted by method, consent version (and whether it was published here), purpose and
   * language. Counts only: no hash leaves this query, so viewers may read it.
   */
  async loginSummary(from: Date, to: Date): Promise<LoginSummary> {
    const q = async (col: string): Promise<{ key: string; known: boolean | null; n: number }[]> =>
      (
        await this.db.query<{ key: string; known: boolean | null; n: number }>(
          `SELECT ${col} AS key, ${col === 'consent_version' ? 'bool_and(consent_known)' : 'NULL::boolean'} AS known, count(*)::int AS n
             FROM wifi_portal_logins WHERE at >= $1 AND at < $2 GROUP BY 1 ORDER BY 3 DESC, 1`,
          [from, to],
        )
      ).rows;
    const totals = await this.db.query<{ n: number; users: number; phones: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT client_hash)::int AS users, count(phone_hash)::int AS phones
         FROM wifi_portal_logins WHERE at >= $1 AND at < $2`,
      [from, to],
    );
    const purposes = await this.db.query<{ key: string; n: number }>(
      `SELECT p AS key, count(*)::int AS n FROM wifi_portal_logins, unnest(consent_purposes) AS p
        WHERE at >= $1 AND at < $2 GROUP BY 1 ORDER BY 2 DESC, 1`,
      [from, to],
    );
    const t = totals.rows[0];
    return {
      logins: t?.n ?? 0,
      distinctClients: t?.users ?? 0,
      withPhone: t?.phones ?? 0,
      byMethod: (await q('method')).map((r) => ({ method: r.key, logins: r.n })),
      byConsentVersion: (await q('consent_version')).map((r) => ({ version: r.key, known: r.known === true, logins: r.n })),
      byPurpose: purposes.rows.map((r) => ({ purpose: r.key, logins: r.n })),
      byLanguage: (await q('language')).map((r) => ({ language: r.key, logins: r.n })),
    };
  }

  async consentVersions(): Promise<ConsentVersion[]> {
    const r = await this.db.query<{ version: string; text_vi: string; text_en: string; purposes: string[]; published_at: Date; published_by: string }>(
      'SELECT * FROM wifi_consent_versions ORDER BY published_at',
    );
    return r.rows.map((x) => ({
      version: x.version,
      textVi: x.text_vi,
      textEn: x.text_en,
      purposes: x.purposes,
      publishedAt: x.published_at.toISOString(),
      publishedBy: x.published_by,
    }));
  }

  /** A version's text is fixed once published (what people agreed to must not change under them): false if it exists. */
  async insertConsentVersion(v: Omit<ConsentVersion, 'publishedAt'>): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO wifi_consent_versions (version, text_vi, text_en, purposes, published_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [v.version, v.textVi, v.textEn, v.purposes, v.publishedBy],
    );
    return r.rowCount === 1;
  }

  /** Removes personal records older than the cut-off: sessions (by last activity), logins, and the raw events. */
  async purgeBefore(cutoff: Date, events: string[], eventsCutoff: Date = cutoff): Promise<{ sessions: number; logins: number; events: number }> {
    const s = await this.db.query('DELETE FROM wifi_sessions WHERE last_update < $1', [cutoff]);
    const l = await this.db.query('DELETE FROM wifi_portal_logins WHERE at < $1', [cutoff]);
    const e = await this.db.query('DELETE FROM device_events WHERE event = ANY($1::text[]) AND time < $2', [events, eventsCutoff]);
    return { sessions: s.rowCount, logins: l.rowCount, events: e.rowCount };
  }
}

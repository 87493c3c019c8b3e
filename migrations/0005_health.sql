-- Device health: per-kind status overrides, planned maintenance, daily uptime rollups, alarms and their webhooks.
-- Runs unchanged on plain PostgreSQL and TimescaleDB: status_events is an ordinary table in both, and the rollup is a
-- table the service maintains (a continuous aggregate cannot carry a state forward across days without events).

-- Reads of one day's status changes for a whole ward (uptime edges, rollup upkeep) go by time first.
CREATE INDEX status_events_time_idx ON status_events (time);

-- Operators' overrides of the health rules a kind declares (devices/*/index.ts `health`); NULL = the kind's default.
CREATE TABLE health_kind_settings (
  kind                    text PRIMARY KEY,
  report_interval_s       double precision CHECK (report_interval_s > 0),
  max_report_interval_s   double precision CHECK (max_report_interval_s > 0),
  missed_reports_offline  double precision CHECK (missed_reports_offline > 0),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  updated_by              text
);

-- Planned maintenance: time in a window counts neither as up nor as down for the devices in its scope.
CREATE TABLE maintenance_windows (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title       text NOT NULL,
  scope_type  text NOT NULL CHECK (scope_type IN ('ward', 'kind', 'zone', 'device')),
  scope_id    text NOT NULL,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_time_idx ON maintenance_windows (starts_at, ends_at);

-- Seconds per device and local day (SW_TIMEZONE) in each state, with running totals since the device's first day
-- (cum_*), so any run of whole days is two rows per device: cum(last day) − cum(day before the first). A device has one
-- row per day from the local day of its first status event up to the watermark; days before it are "unknown".
CREATE TABLE uptime_daily (
  device_id          text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  day                date NOT NULL,
  up_s               double precision NOT NULL,
  down_s             double precision NOT NULL,
  unknown_s          double precision NOT NULL,
  maintenance_s      double precision NOT NULL,
  changes            integer NOT NULL,
  cum_up_s           double precision NOT NULL,
  cum_down_s         double precision NOT NULL,
  cum_unknown_s      double precision NOT NULL,
  cum_maintenance_s  double precision NOT NULL,
  cum_changes        bigint NOT NULL,
  -- State at the end of the day (null: nothing known yet), so a read that starts at midnight needs no event lookup.
  end_online         boolean,
  PRIMARY KEY (device_id, day)
);
CREATE INDEX uptime_daily_day_idx ON uptime_daily (day);

-- The rollup's watermark: every day before `complete_until` (a local midnight) is rolled up for every device.
CREATE TABLE uptime_rollup_state (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  complete_until  timestamptz,
  timezone        text
);
INSERT INTO uptime_rollup_state (id) VALUES (true);

-- Devices whose rollup rows from `since` on must be recomputed. Triggers fill it, so every writer is covered: ingest,
-- camera probes, spool replay after an outage, the health module, or an operator's SQL.
CREATE TABLE uptime_dirty (
  device_id  text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  since      timestamptz NOT NULL
);

CREATE FUNCTION sw_uptime_mark_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO uptime_dirty (device_id, since)
  SELECT c.device_id, min(c.time) FROM changed c, uptime_rollup_state w
  WHERE w.complete_until IS NOT NULL AND c.time < w.complete_until
    AND EXISTS (SELECT 1 FROM devices d WHERE d.id = c.device_id)
  GROUP BY c.device_id
  ON CONFLICT (device_id) DO UPDATE SET since = least(uptime_dirty.since, EXCLUDED.since);
  RETURN NULL;
END $$;
-- Statement-level with a transition table: one dirty upsert per statement, not per row (bulk loads stay fast).
CREATE TRIGGER status_events_uptime_ins AFTER INSERT ON status_events
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION sw_uptime_mark_status();
CREATE TRIGGER status_events_uptime_del AFTER DELETE ON status_events
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION sw_uptime_mark_status();

-- A changed installation date moves the start of "unknown": recompute from the earlier of the two dates.
CREATE FUNCTION sw_uptime_mark_installed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.installed_at IS DISTINCT FROM OLD.installed_at THEN
    INSERT INTO uptime_dirty (device_id, since)
    VALUES (NEW.id, least(coalesce(OLD.installed_at, timestamptz '2000-01-01 00:00+00'), coalesce(NEW.installed_at, timestamptz '2000-01-01 00:00+00')))
    ON CONFLICT (device_id) DO UPDATE SET since = least(uptime_dirty.since, EXCLUDED.since);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER devices_uptime_installed AFTER UPDATE OF installed_at ON devices
  FOR EACH ROW EXECUTE FUNCTION sw_uptime_mark_installed();

-- Operators' overrides of a kind's alarm rules (devices/*/index.ts `alarms`); NULL = the kind's default.
CREATE TABLE alarm_rule_settings (
  kind        text NOT NULL,
  rule        text NOT NULL,
  enabled     boolean,
  severity    text CHECK (severity IN ('info', 'warning', 'critical')),
  params      jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text,
  PRIMARY KEY (kind, rule)
);

-- Lifecycle active → acknowledged → cleared. At most one open (not cleared) alarm per device and rule: a repeat of
-- the condition bumps `occurrences` instead of opening another.
CREATE TABLE alarms (
  id               bigserial PRIMARY KEY,
  device_id        text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  kind             text NOT NULL,
  rule             text NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  state            text NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
  message          jsonb NOT NULL,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  raised_at        timestamptz NOT NULL,
  last_raised_at   timestamptz NOT NULL,
  occurrences      integer NOT NULL DEFAULT 1,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  ack_note         text,
  cleared_at       timestamptz,
  cleared_by       text,
  clear_reason     text
);
CREATE UNIQUE INDEX alarms_open_key ON alarms (device_id, rule) WHERE state <> 'cleared';
CREATE INDEX alarms_raised_idx ON alarms (raised_at);
CREATE INDEX alarms_state_idx ON alarms (state) WHERE state <> 'cleared';

-- Where alarm notifications go. The HMAC secret must be read back to sign, so it is encrypted (AES-256-GCM).
CREATE TABLE alarm_webhooks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  url           text NOT NULL,
  secret_enc    text NOT NULL,
  min_severity  text NOT NULL DEFAULT 'warning' CHECK (min_severity IN ('info', 'warning', 'critical')),
  enabled       boolean NOT NULL DEFAULT true,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Outbox: a notification is stored with its alarm change and delivered (with retries) after the commit.
CREATE TABLE alarm_notifications (
  id               bigserial PRIMARY KEY,
  webhook_id       uuid NOT NULL REFERENCES alarm_webhooks(id) ON DELETE CASCADE,
  alarm_id         bigint NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
  event            text NOT NULL,
  payload          jsonb NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX alarm_notifications_due_idx ON alarm_notifications (next_attempt_at) WHERE state = 'pending';

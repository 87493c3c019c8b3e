-- Control: command lifecycle, scheduler, lighting programs and overrides, loudspeaker radio. Runs on every flavour
-- (plain PostgreSQL 15, TimescaleDB, embedded PGlite): ordinary tables only.

-- One operator (or scheduler) request. The id is the idempotency key: a client may supply it, and a retry with the
-- same id and the same request returns the first command instead of sending a second one.
CREATE TABLE commands (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
  name          text NOT NULL,
  params        jsonb NOT NULL DEFAULT '{}'::jsonb,
  target        jsonb NOT NULL,
  request_hash  text NOT NULL,
  origin        text NOT NULL DEFAULT 'api',
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  max_attempts  integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 10),
  device_count  integer NOT NULL,
  cancelled_at  timestamptz,
  cancelled_by  text
);
CREATE INDEX commands_created_idx ON commands (created_at DESC);

-- One device's part of a command: queued → sent → acknowledged | failed | expired (| cancelled).
-- final_by says whose word made it final: the device's ack beats the service's own timeout or expiry.
CREATE TABLE command_deliveries (
  command_id     text NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  device_id      text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  kind           text NOT NULL,
  state          text NOT NULL CHECK (state IN ('queued', 'sent', 'acknowledged', 'failed', 'expired', 'cancelled')),
  attempts       integer NOT NULL DEFAULT 0,
  ack_timeout_s  integer NOT NULL CHECK (ack_timeout_s > 0),
  expires_at     timestamptz NOT NULL,
  sent_at        timestamptz,
  ack_deadline   timestamptz,
  acked_at       timestamptz,
  finished_at    timestamptz,
  ack_status     text,
  result         jsonb,
  error          text,
  final_by       text CHECK (final_by IN ('device', 'service')),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (command_id, device_id)
);
CREATE INDEX command_deliveries_device_open_idx ON command_deliveries (device_id) WHERE state IN ('queued', 'sent');
CREATE INDEX command_deliveries_deadline_idx ON command_deliveries (ack_deadline) WHERE state = 'sent';
CREATE INDEX command_deliveries_expiry_idx ON command_deliveries (expires_at) WHERE state IN ('queued', 'sent');
CREATE INDEX command_deliveries_device_time_idx ON command_deliveries (device_id, updated_at DESC);

-- Scheduler. A schedule fires a named job at each occurrence of its rule (fire time = occurrence − lead).
-- schedule_runs has one row per occurrence: the primary key is what makes a firing happen once, across restarts and
-- across several service processes (claimed with SELECT … FOR UPDATE SKIP LOCKED, then INSERT … ON CONFLICT DO NOTHING).
CREATE TABLE schedules (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
  job         text NOT NULL,
  ref         text,
  dtstart     timestamptz NOT NULL,
  rrule       text,
  lead_s      integer NOT NULL DEFAULT 0 CHECK (lead_s >= 0),
  catch_up_s  integer NOT NULL DEFAULT 600 CHECK (catch_up_s >= 0),
  next_at     timestamptz,
  fire_at     timestamptz,
  enabled     boolean NOT NULL DEFAULT true,
  payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due_idx ON schedules (fire_at) WHERE enabled AND fire_at IS NOT NULL;
CREATE INDEX schedules_ref_idx ON schedules (job, ref);

CREATE TABLE schedule_runs (
  schedule_id    text NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  occurrence_at  timestamptz NOT NULL,
  status         text NOT NULL CHECK (status IN ('claimed', 'fired', 'skipped', 'failed')),
  claimed_by     text NOT NULL,
  claimed_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  lateness_ms    integer,
  detail         jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (schedule_id, occurrence_at)
);
CREATE INDEX schedule_runs_open_idx ON schedule_runs (claimed_at) WHERE status = 'claimed';

-- Lighting (TALQ ControlProgram + Calendar). Steps: [{at: 'HH:MM'|'sunset'|'sunrise', offsetMin?, level, rampS?}].
CREATE TABLE lighting_programs (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  name        text NOT NULL,
  steps       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Rules: ordered [{name, from, to, weekdays?, programId}], dates 'YYYY-MM-DD' (one period) or 'MM-DD' (every year);
-- first match wins, the default program otherwise.
CREATE TABLE lighting_calendars (
  id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  name                text NOT NULL,
  default_program_id  text NOT NULL REFERENCES lighting_programs(id),
  rules               jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- A calendar or a program per zone or device; a device's own assignment beats its zones'.
CREATE TABLE lighting_assignments (
  target_type  text NOT NULL CHECK (target_type IN ('zone', 'device')),
  target_id    text NOT NULL,
  calendar_id  text REFERENCES lighting_calendars(id) ON DELETE CASCADE,
  program_id   text REFERENCES lighting_programs(id) ON DELETE CASCADE,
  assigned_by  text NOT NULL,
  assigned_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target_type, target_id),
  CHECK ((calendar_id IS NULL) <> (program_id IS NULL))
);

-- The manual override in force per light (always with an end).
CREATE TABLE lighting_overrides (
  device_id   text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  level       integer NOT NULL CHECK (level BETWEEN 0 AND 100),
  ramp_s      integer NOT NULL DEFAULT 0,
  starts_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  command_id  text NOT NULL,
  set_by      text NOT NULL
);

-- The program last pushed to each light (what its node runs while offline).
CREATE TABLE lighting_device_programs (
  device_id     text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  program_id    text NOT NULL,
  program_hash  text NOT NULL,
  command_id    text NOT NULL,
  pushed_at     timestamptz NOT NULL DEFAULT now()
);

-- Loudspeaker radio (Circular 39/2020/TT-BTTTT). Files are content-addressed: one row per distinct sha256.
CREATE TABLE audio_assets (
  id           text PRIMARY KEY,
  title        text NOT NULL,
  format       text NOT NULL CHECK (format IN ('mp3', 'wav', 'ogg')),
  mime         text NOT NULL,
  size_bytes   bigint NOT NULL,
  sha256       text NOT NULL UNIQUE,
  duration_s   double precision NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
  uploaded_by  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- requested_at is when the operator asked; emergency time-to-air = first playLog start − requested_at (indicators).
CREATE TABLE broadcasts (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,47}$'),
  title         text NOT NULL,
  priority      text NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  source        text NOT NULL CHECK (source IN ('file', 'live')),
  audio_id      text REFERENCES audio_assets(id),
  stream_url    text,
  zone_ids      text[] NOT NULL DEFAULT '{}',
  cluster_ids   text[] NOT NULL DEFAULT '{}',
  volume        integer CHECK (volume BETWEEN 0 AND 100),
  starts_at     timestamptz NOT NULL,
  rrule         text,
  duration_s    double precision,
  status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'done', 'cancelled')),
  base_url      text,
  created_by    text NOT NULL,
  cancelled_at  timestamptz,
  cancelled_by  text,
  CHECK ((source = 'file') = (audio_id IS NOT NULL)),
  CHECK ((source = 'live') = (stream_url IS NOT NULL))
);
CREATE INDEX broadcasts_priority_idx ON broadcasts (priority, requested_at);

-- One airing of one occurrence on one cluster: the command that carried it.
CREATE TABLE broadcast_airings (
  broadcast_id   text NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
  occurrence_at  timestamptz NOT NULL,
  cluster_id     text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  command_id     text NOT NULL,
  dispatched_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (broadcast_id, occurrence_at, cluster_id)
);
CREATE INDEX broadcast_airings_cluster_idx ON broadcast_airings (cluster_id, occurrence_at);

-- Every preemption, as the service saw it when it dispatched (source 'dispatch') and as the cluster reported it
-- in its play log (source 'playlog').
CREATE TABLE broadcast_preemptions (
  id                bigserial PRIMARY KEY,
  at                timestamptz NOT NULL,
  cluster_id        text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  broadcast_id      text,
  by_broadcast_id   text NOT NULL,
  source            text NOT NULL CHECK (source IN ('dispatch', 'playlog')),
  UNIQUE (cluster_id, broadcast_id, by_broadcast_id, source)
);

-- Clashes between items of equal priority, shown to the operator until resolved (never resolved silently).
CREATE TABLE broadcast_conflicts (
  id                  bigserial PRIMARY KEY,
  broadcast_id        text NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
  other_broadcast_id  text NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
  priority            text NOT NULL,
  first_clash_at      timestamptz NOT NULL,
  cluster_ids         text[] NOT NULL,
  status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  detected_at         timestamptz NOT NULL DEFAULT now(),
  resolved_at         timestamptz,
  resolved_by         text,
  resolution          text,
  UNIQUE (broadcast_id, other_broadcast_id)
);

-- When the service was running (issue 10): each process records its start, a heartbeat and its clean stop. Outside
-- these intervals nobody watched the devices, so their state is unknown, not down (a restart used to count as every
-- device's downtime until it reconnected). A crashed run ends at its last heartbeat.
CREATE TABLE service_runs (
  id            uuid PRIMARY KEY,
  instance      text NOT NULL,
  started_at    timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL,
  stopped_at    timestamptz,
  CHECK (heartbeat_at >= started_at),
  CHECK (stopped_at IS NULL OR stopped_at >= started_at)
);
CREATE INDEX service_runs_span_idx ON service_runs (started_at, heartbeat_at);

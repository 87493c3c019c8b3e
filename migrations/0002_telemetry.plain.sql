-- Telemetry on plain PostgreSQL: the same table and columns as the TimescaleDB variant, an ordinary table with a
-- time index, and telemetry_hourly as a table the service refreshes (services/maintenance). Queries are identical.

CREATE TABLE telemetry (
  time         timestamptz NOT NULL,
  device_id    text NOT NULL,
  data         jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX telemetry_device_time_key ON telemetry (device_id, time DESC);
CREATE INDEX telemetry_time_idx ON telemetry USING brin (time);

CREATE TABLE telemetry_hourly (
  bucket     timestamptz NOT NULL,
  device_id  text NOT NULL,
  messages   bigint NOT NULL,
  stats      jsonb NOT NULL,
  PRIMARY KEY (device_id, bucket)
);
CREATE INDEX telemetry_hourly_bucket_idx ON telemetry_hourly (bucket);

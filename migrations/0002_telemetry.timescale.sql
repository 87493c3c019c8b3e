-- Telemetry on TimescaleDB: one row per message (numeric metrics as jsonb), a hypertable with compression and
-- retention, and an hourly continuous aggregate. Policies are registered here; the service runs them itself where
-- the database has no background workers (embedded PGlite).

CREATE TABLE telemetry (
  time         timestamptz NOT NULL,
  device_id    text NOT NULL,
  data         jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
SELECT create_hypertable('telemetry', 'time', chunk_time_interval => interval '1 day');
-- Redelivered QoS1 messages carry the same (device, time): the unique key absorbs them.
CREATE UNIQUE INDEX telemetry_device_time_key ON telemetry (device_id, time DESC);

ALTER TABLE telemetry SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'time DESC');
SELECT add_compression_policy('telemetry', interval '7 days');
SELECT add_retention_policy('telemetry', interval '730 days');

CREATE MATERIALIZED VIEW telemetry_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket(interval '1 hour', time) AS bucket, device_id, count(*) AS messages, sw_stats(data) AS stats
  FROM telemetry
  GROUP BY 1, 2
  WITH NO DATA;
SELECT add_continuous_aggregate_policy('telemetry_hourly',
  start_offset => interval '3 days', end_offset => interval '1 hour', schedule_interval => interval '15 minutes');

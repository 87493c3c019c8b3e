-- Counter increases per device, metric and hour, from per-reading steps (issue 10). The hourly telemetry rollup only
-- keeps each metric's min and max, and a counter reset inside an hour made max − min the old reading (1,522 kWh
-- reported instead of 0.3). Here every step between two readings counts in the hour it ends: an increase counts
-- as it is, a drop is a reset and the new value counts from zero. Window functions cannot run in a continuous
-- aggregate, so the service refreshes this table in both flavours (services/maintenance); the same SQL computes
-- the real-time tail after the last refreshed hour (services/telemetry/counter-steps.ts).
CREATE TABLE counter_hourly (
  device_id  text NOT NULL,
  metric     text NOT NULL,
  bucket     timestamptz NOT NULL,
  increase   double precision NOT NULL CHECK (increase >= 0),
  readings   integer NOT NULL,
  resets     integer NOT NULL,
  PRIMARY KEY (device_id, metric, bucket)
);
CREATE INDEX counter_hourly_metric_bucket_idx ON counter_hourly (metric, bucket);

-- Ingest durability (issue 10): command acknowledgements as durable as telemetry, and idempotent dead letters.

-- A device's command ack is stored in the same transaction as the rest of its batch (or spooled and replayed with it),
-- before its PUBACK. The control module applies it to the command and then deletes it here; what a crash interrupted is
-- applied at the next start. Applying an ack twice changes nothing (the device's first final answer wins).
CREATE TABLE ingest_command_acks (
  device_id    text NOT NULL,
  command_id   text NOT NULL,
  status       text NOT NULL,
  ack_time     timestamptz NOT NULL,
  result       jsonb NOT NULL DEFAULT '{}'::jsonb,
  error        text,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, command_id, status, ack_time)
);
CREATE INDEX ingest_command_acks_received_idx ON ingest_command_acks (received_at);

-- A spooled batch may be written twice (a kill -9 between its commit and the removal of its spool file, a write that
-- passed its deadline and committed later): the key keeps its dead letters once. Rows of older versions have none.
ALTER TABLE dead_letters ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX dead_letters_dedup_key_idx ON dead_letters (dedup_key);

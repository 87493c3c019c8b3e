-- Several service processes as one (issue 12, docs/scale.md).
-- cluster_nodes: one row per live process, its lease renewed every lease/3; a row past expires_at is a dead node.
CREATE TABLE IF NOT EXISTS cluster_nodes (
  node_id     text PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

-- Which node holds each device's MQTT connection: only the owner may record the device offline, so a device that
-- moved to another node is not marked offline by the node it left; a dead node's rows are released by a survivor.
CREATE TABLE IF NOT EXISTS cluster_connections (
  device_id   text PRIMARY KEY,
  node_id     text NOT NULL,
  since       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cluster_connections_node_idx ON cluster_connections (node_id);

-- One owner per job (schedules, camera probes, rollups, retention, webhooks, ...): the holder renews its lease; once
-- it expires any node may take it over. Times are the database's clock, so the nodes' clocks need not agree.
CREATE TABLE IF NOT EXISTS cluster_leases (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now()
);

-- WiFi sessions and captive-portal records (services/wifi, docs/wifi-marketing.md). Client MAC addresses and phone
-- numbers are stored only as keyed hashes ('h1:' + HMAC-SHA256 with the service key); retention is a service job.

-- One client session on one access point, RADIUS-accounting style (start / interim / stop).
CREATE TABLE wifi_sessions (
  device_id    text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  session_id   text NOT NULL,
  client_hash  text CHECK (client_hash LIKE 'h1:%'),
  ssid         text,
  started_at   timestamptz,
  ended_at     timestamptz,
  last_update  timestamptz NOT NULL,
  bytes_in     bigint NOT NULL DEFAULT 0,
  bytes_out    bigint NOT NULL DEFAULT 0,
  duration_s   integer NOT NULL DEFAULT 0,
  end_cause    text,
  PRIMARY KEY (device_id, session_id)
);
CREATE INDEX wifi_sessions_started_idx ON wifi_sessions (started_at);
CREATE INDEX wifi_sessions_update_idx ON wifi_sessions (last_update);

-- The consent texts a portal shows, by version: what a user agreed to is the version's text and purposes.
CREATE TABLE wifi_consent_versions (
  version      text PRIMARY KEY CHECK (version ~ '^[A-Za-z0-9._-]{1,32}$'),
  text_vi      text NOT NULL,
  text_en      text NOT NULL,
  purposes     text[] NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  published_by text NOT NULL
);

-- A portal login: who (hashes only), how, and the consent given (version, purposes agreed, language, when).
CREATE TABLE wifi_portal_logins (
  device_id        text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  session_id       text NOT NULL,
  at               timestamptz NOT NULL,
  client_hash      text CHECK (client_hash LIKE 'h1:%'),
  phone_hash       text CHECK (phone_hash LIKE 'h1:%'),
  method           text NOT NULL,
  consent_version  text NOT NULL,
  consent_known    boolean NOT NULL,
  consent_purposes text[] NOT NULL,
  language         text NOT NULL,
  PRIMARY KEY (device_id, session_id, at)
);
CREATE INDEX wifi_portal_logins_at_idx ON wifi_portal_logins (at);

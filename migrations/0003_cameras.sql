-- High-mast cameras: the ONVIF connection of each device of the camera kind, and the index of stored snapshots.
-- Runs on every flavour. Rows belong to their device and go with it (ON DELETE CASCADE); snapshot files on disk are
-- removed by the camera service when it notices the device is gone.

CREATE TABLE camera_connections (
  device_id         text PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
  -- ONVIF device service URL (XAddr), as WS-Discovery reports it; one registration per camera address.
  address           text NOT NULL UNIQUE,
  username          text NOT NULL,
  -- AES-256-GCM under the service key ("v1:iv:tag:ciphertext"): the service must send the password to the camera,
  -- so it cannot be a one-way hash.
  password_sealed   text NOT NULL CHECK (password_sealed LIKE 'v1:%'),
  -- Media profile used for snapshots and PTZ; null = the camera's first profile.
  profile_token     text,
  manufacturer      text NOT NULL DEFAULT '',
  model             text NOT NULL DEFAULT '',
  firmware_version  text NOT NULL DEFAULT '',
  serial_number     text NOT NULL DEFAULT '',
  hardware_id       text NOT NULL DEFAULT '',
  profiles          jsonb NOT NULL DEFAULT '[]'::jsonb,
  has_ptz           boolean NOT NULL DEFAULT false,
  -- Last preset list read from the camera, shown (marked stale) while the camera does not answer.
  presets           jsonb,
  presets_at        timestamptz,
  -- When the connection was last proven by a successful GetDeviceInformation + GetProfiles.
  verified_at       timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE camera_snapshots (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id      text NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  taken_at       timestamptz NOT NULL,
  trigger        text NOT NULL CHECK (trigger IN ('on-demand', 'schedule', 'probe')),
  -- Operator who asked for an on-demand snapshot (audit actor), null for scheduled ones.
  requested_by   text,
  -- Paths are relative to the snapshot root ($SW_DATA_DIR/snapshots), so the data folder can move.
  full_path      text NOT NULL,
  full_format    text NOT NULL CHECK (full_format IN ('jpeg', 'webp')),
  full_width     integer NOT NULL,
  full_height    integer NOT NULL,
  full_bytes     integer NOT NULL,
  thumb_path     text NOT NULL,
  thumb_width    integer NOT NULL,
  thumb_height   integer NOT NULL,
  thumb_bytes    integer NOT NULL,
  source_width   integer NOT NULL,
  source_height  integer NOT NULL,
  source_bytes   integer NOT NULL
);
CREATE INDEX camera_snapshots_device_time_idx ON camera_snapshots (device_id, taken_at DESC);

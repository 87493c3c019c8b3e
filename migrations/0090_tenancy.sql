-- Province tenancy (issue 12, docs/scale.md "Province tenancy"): several wards in one deployment. Devices and zones
-- carry ward_code since 0001; this adds the wards themselves, who belongs to which, and the ward of an audit row.
-- The configured ward (SW_WARD_CODE) is inserted, and existing users made members of it, at start
-- (services/registry/ward.service.ts), because SQL does not know the configuration.

CREATE TABLE IF NOT EXISTS wards (
  code           text PRIMARY KEY CHECK (code ~ '^\d{5}$'),
  name           text NOT NULL DEFAULT '',
  -- Mã tỉnh: the 2-digit province code; empty when not known.
  province_code  text NOT NULL DEFAULT '' CHECK (province_code ~ '^(\d{2})?$'),
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Every ward an existing row already names becomes a ward (a deployment whose SW_WARD_CODE changed keeps its rows).
INSERT INTO wards (code)
  SELECT ward_code FROM devices WHERE ward_code ~ '^\d{5}$'
  UNION SELECT ward_code FROM zones WHERE ward_code ~ '^\d{5}$'
ON CONFLICT (code) DO NOTHING;

-- No foreign key from devices/zones: rows written straight by SQL (imports, benches) need not name a known ward; the
-- API refuses an unknown ward on create and update (services/registry/ward.service.ts).
CREATE INDEX IF NOT EXISTS zones_ward_idx ON zones (ward_code);

-- A user sees the wards they are a member of; province_scope (a province viewer or operator) sees every ward.
-- Admins see every ward whatever these say.
CREATE TABLE IF NOT EXISTS user_wards (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ward_code  text NOT NULL REFERENCES wards (code) ON DELETE CASCADE,
  PRIMARY KEY (user_id, ward_code)
);
CREATE INDEX IF NOT EXISTS user_wards_ward_idx ON user_wards (ward_code);
ALTER TABLE users ADD COLUMN IF NOT EXISTS province_scope boolean NOT NULL DEFAULT false;

-- The ward an audited action was about (null: none, or several, listed in details.wards).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS ward_code text;
CREATE INDEX IF NOT EXISTS audit_log_ward_idx ON audit_log (ward_code, at);

-- A lighting program or calendar for the whole ward (issue 14): the default for every light that has neither its own
-- assignment nor one through its zones. target_id holds the ward code (mã ĐVHC).
ALTER TABLE lighting_assignments DROP CONSTRAINT IF EXISTS lighting_assignments_target_type_check;
ALTER TABLE lighting_assignments ADD CONSTRAINT lighting_assignments_target_type_check CHECK (target_type IN ('zone', 'device', 'ward'));

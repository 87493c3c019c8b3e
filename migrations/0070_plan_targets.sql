-- Plan targets (issue 15): what the ward's plan asks of an indicator for a reporting period, so the monthly and
-- half-year reports can set actual against target. `indicator` is a figure id of the indicator report
-- (e.g. 'wifi-ap.groupsServedPeriod'); `period` a period code: 'YYYY', 'YYYY-H1', 'YYYY-H2' or 'YYYY-MM'.
-- A report uses the target of its own period, else the one of the year it falls in.
CREATE TABLE IF NOT EXISTS plan_targets (
  ward_code   text NOT NULL,
  indicator   text NOT NULL,
  period      text NOT NULL CHECK (period ~ '^\d{4}(-(0[1-9]|1[0-2]|H[12]))?$'),
  comparator  text NOT NULL CHECK (comparator IN ('>=', '>', '<=', '<')),
  target      double precision NOT NULL,
  -- Where the target comes from, in the plan's words (document, item), and whether the number is the plan's or a proposal.
  source      text NOT NULL,
  basis       text NOT NULL CHECK (basis IN ('plan', 'proposal')),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ward_code, indicator, period)
);

-- Sales handoff: who owns a newly qualified lead, and the SLA timers on the first touch and on
-- the decision (accept or reject).

CREATE TABLE handoffs (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  owner text NOT NULL,
  -- kept (the contact already had an owner) | round_robin
  assigned_by text NOT NULL,
  started_at timestamptz NOT NULL,
  first_touch_due timestamptz NOT NULL,
  decision_due timestamptz NOT NULL,
  first_touched_at timestamptz,
  decided_at timestamptz,
  decision text CHECK (decision IN ('accepted', 'rejected')),
  reason_code text,
  reason text,
  first_touch_breached_at timestamptz,
  decision_breached_at timestamptz
);
CREATE UNIQUE INDEX handoffs_open ON handoffs (contact_id) WHERE decided_at IS NULL;
CREATE INDEX handoffs_first_touch_due ON handoffs (first_touch_due) WHERE first_touched_at IS NULL AND first_touch_breached_at IS NULL AND decided_at IS NULL;
CREATE INDEX handoffs_decision_due ON handoffs (decision_due) WHERE decision_breached_at IS NULL AND decided_at IS NULL;
CREATE INDEX handoffs_owner ON handoffs (workspace_id, owner);

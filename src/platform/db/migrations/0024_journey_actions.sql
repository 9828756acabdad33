-- Journey action nodes (score, assign_owner).
--
-- score_adjustments: points a journey gave a contact in a model, outside the model's rules. A
-- score is recomputed from history (events, attributes, time) whenever a model is republished,
-- so an adjustment must be history too: the scorer replays these rows as lines of their own,
-- and the ledger explains them like any rule.
CREATE TABLE score_adjustments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL,
  model_id uuid NOT NULL REFERENCES scoring_models (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  -- The points line in the score's breakdown (journey:<journey id>:<node id>).
  line text NOT NULL,
  points integer NOT NULL,
  reason text NOT NULL,
  -- Who gave them: journey:<id>.
  cause text NOT NULL,
  adjusted_at timestamptz NOT NULL
);
CREATE INDEX score_adjustments_contact ON score_adjustments (contact_id, model_id);

-- owner_assignments: the audit trail of owners given outside a handoff (a journey's
-- assign_owner node), and their share of the round robin.
CREATE TABLE owner_assignments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  owner text NOT NULL,
  -- account (the owner of the company's other contacts) | round_robin
  assigned_by text NOT NULL,
  cause text NOT NULL,
  assigned_at timestamptz NOT NULL
);
CREATE INDEX owner_assignments_owner ON owner_assignments (workspace_id, owner);
CREATE INDEX owner_assignments_contact ON owner_assignments (contact_id);

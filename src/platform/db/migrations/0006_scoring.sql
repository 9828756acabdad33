-- Lead scoring: versioned models, each contact's current score per model with its breakdown,
-- the ledger that explains every change, and due rows for inactivity decay.

CREATE TABLE scoring_models (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  draft jsonb NOT NULL,
  published_version integer,
  archived_at timestamptz,
  build_state text NOT NULL DEFAULT 'idle' CHECK (build_state IN ('idle', 'queued', 'running', 'failed')),
  build_error text,
  built_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX scoring_models_workspace ON scoring_models (workspace_id, created_at, id);

CREATE TABLE scoring_model_versions (
  model_id uuid NOT NULL REFERENCES scoring_models (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (model_id, version)
);

-- Written on the ingest path: the only foreign key is the contact's (a deleted contact's scores
-- and ledger go with it; workspaces go with their contacts, and models are archived, not deleted).
CREATE TABLE contact_scores (
  workspace_id uuid NOT NULL,
  model_id uuid NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  version integer NOT NULL,
  score integer NOT NULL,
  band text,
  -- Points per rule id (plus decay and limit): always adds up to score.
  points jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (model_id, contact_id)
);
CREATE INDEX contact_scores_score ON contact_scores (model_id, score);
CREATE INDEX contact_scores_contact ON contact_scores (contact_id);

CREATE TABLE score_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL,
  model_id uuid NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  version integer NOT NULL,
  rule text NOT NULL,
  delta integer NOT NULL,
  reason text NOT NULL,
  cause text NOT NULL,
  event_id uuid,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX score_ledger_contact ON score_ledger (contact_id, model_id, id);

-- When decay next takes points from a contact (no foreign key to contacts, as segment_checks).
CREATE TABLE score_checks (
  workspace_id uuid NOT NULL,
  model_id uuid NOT NULL REFERENCES scoring_models (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL,
  due_at timestamptz NOT NULL,
  PRIMARY KEY (model_id, contact_id)
);
CREATE INDEX score_checks_due ON score_checks (due_at);

-- Lifecycle stages: the workspace's stage path and rules (versioned), and the log of every
-- transition with its cause.

CREATE TABLE lifecycle_settings (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
  draft jsonb NOT NULL,
  published_version integer,
  updated_at timestamptz NOT NULL
);

CREATE TABLE lifecycle_versions (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, version)
);

CREATE TABLE lifecycle_transitions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  from_stage text,
  to_stage text,
  -- rule | user | api | import
  cause text NOT NULL,
  rule text,
  reason text,
  occurred_at timestamptz NOT NULL
);
CREATE INDEX lifecycle_transitions_contact ON lifecycle_transitions (contact_id, id);
CREATE INDEX lifecycle_transitions_stage ON lifecycle_transitions (workspace_id, to_stage, occurred_at);

-- Segments (conditions over contacts, kept current as data changes), static lists, and the
-- signal outbox that journeys will consume.

CREATE TABLE segments (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  -- The definition being edited; publishing copies it into segment_versions.
  draft jsonb NOT NULL,
  published_version integer,
  archived_at timestamptz,
  -- Full rebuild progress: idle | queued | running | failed.
  build_state text NOT NULL DEFAULT 'idle' CHECK (build_state IN ('idle', 'queued', 'running', 'failed')),
  build_phase text,
  build_total integer,
  build_matched integer,
  build_entered integer,
  build_exited integer,
  build_error text,
  built_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX segments_workspace ON segments (workspace_id, created_at, id);

CREATE TABLE segment_versions (
  segment_id uuid NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (segment_id, version)
);

-- One row per stint in a segment: exited_at NULL while the contact is a member.
CREATE TABLE segment_members (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  segment_id uuid NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  version integer NOT NULL,
  entered_at timestamptz NOT NULL,
  enter_cause text NOT NULL,
  exited_at timestamptz,
  exit_cause text
);
CREATE UNIQUE INDEX segment_members_current ON segment_members (segment_id, contact_id) WHERE exited_at IS NULL;
CREATE INDEX segment_members_contact ON segment_members (contact_id, entered_at);

-- When a contact's membership may change by the passage of time alone (an event ages out of
-- a window, a date comes within N days): the due row makes a worker re-check just that contact.
-- No foreign keys but the segment's (a build writes tens of thousands of these): a check left
-- behind by a deleted or merged-away contact finds nobody when due and is gone.
CREATE TABLE segment_checks (
  workspace_id uuid NOT NULL,
  segment_id uuid NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL,
  due_at timestamptz NOT NULL,
  PRIMARY KEY (segment_id, contact_id)
);
CREATE INDEX segment_checks_due ON segment_checks (due_at);

CREATE TABLE lists (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX lists_workspace ON lists (workspace_id, created_at, id);

CREATE TABLE list_members (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  list_id uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL,
  PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_members_contact ON list_members (contact_id);

-- The outbox: facts the decide stage produced (segment entered/exited, later score and stage
-- changes), read in id order by whatever acts on them.
CREATE TABLE signals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  kind text NOT NULL,
  contact_id uuid NOT NULL,
  subject_id uuid NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL
);
CREATE INDEX signals_workspace ON signals (workspace_id, id);
CREATE INDEX signals_contact ON signals (contact_id, id);

-- Page and screen views have no event name of their own; conditions select them by call type.
CREATE INDEX events_views ON events (workspace_id, type, occurred_at) WHERE type IN ('page', 'screen');
-- Segment conditions and consent state read a contact's latest decision per purpose.
CREATE INDEX consents_purpose ON consents (workspace_id, purpose, contact_id, recorded_at);

-- Journeys: versioned documents, enrolments (one row per contact in a journey, with the node it
-- is at and when it wakes), the trace of every step, and an inbox of the events journeys react
-- to, filled in the event's own transaction.

CREATE TABLE journeys (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  -- draft: never published; active: enrols and runs; paused: runs nobody new, holds everyone where they are; archived: done.
  status text NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
  draft jsonb NOT NULL,
  published_version integer,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX journeys_workspace ON journeys (workspace_id, created_at, id);

CREATE TABLE journey_versions (
  journey_id uuid NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (journey_id, version)
);

CREATE TABLE journey_enrolments (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  journey_id uuid NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
  -- Contacts in flight stay on the version they entered.
  version integer NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('active', 'completed', 'exited', 'converted', 'failed')),
  node_id text NOT NULL,
  -- active: when the worker looks at it next (null: waiting for an event only, which cannot be).
  wake_at timestamptz,
  -- The wait_for node being waited on: the timeout is wake_at.
  waiting_for text,
  -- every_time re-entry: the trigger event's key (a cart id); one enrolment per key.
  event_key text,
  context jsonb NOT NULL DEFAULT '{}',
  -- Node executions so far: with the node id it keys each step's side effects (idempotency).
  steps integer NOT NULL DEFAULT 0,
  entered_at timestamptz NOT NULL,
  ended_at timestamptz,
  end_reason text
);
CREATE INDEX journey_enrolments_due ON journey_enrolments (wake_at) WHERE status = 'active';
CREATE INDEX journey_enrolments_contact ON journey_enrolments (contact_id, journey_id);
CREATE INDEX journey_enrolments_journey ON journey_enrolments (journey_id, status);
CREATE UNIQUE INDEX journey_enrolments_key ON journey_enrolments (journey_id, contact_id, event_key) WHERE event_key IS NOT NULL;

CREATE TABLE journey_steps (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  enrolment_id uuid NOT NULL REFERENCES journey_enrolments (id) ON DELETE CASCADE,
  journey_id uuid NOT NULL,
  node_id text NOT NULL,
  -- entered, sent, skipped, waiting, passed, branch, split, happened, timed_out, tagged, completed, exited, converted, failed
  outcome text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL
);
CREATE INDEX journey_steps_enrolment ON journey_steps (enrolment_id, id);
CREATE INDEX journey_steps_node ON journey_steps (journey_id, node_id, outcome);

-- Which event keys (event:track:<name>, event:page, event:screen) the active journeys of a
-- workspace react to (triggers, wait_for, goals, exits); rewritten on publish, pause, archive.
CREATE TABLE journey_event_keys (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  journey_id uuid NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
  event_key text NOT NULL,
  PRIMARY KEY (workspace_id, event_key, journey_id)
);

-- Events for journeys, written in the event's transaction (so none is lost and none is seen
-- before it commits), taken and deleted by the worker in the transaction that acts on them.
CREATE TABLE journey_inbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid NOT NULL,
  contact_id uuid NOT NULL,
  event_id uuid NOT NULL,
  event_key text NOT NULL,
  -- As in events: selectors compiled for events (e.type, e.name, e.properties) run on these rows.
  type text NOT NULL,
  name text,
  properties jsonb NOT NULL,
  occurred_at timestamptz NOT NULL
);

CREATE FUNCTION journey_inbox_fan_in() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO journey_inbox (workspace_id, contact_id, event_id, event_key, type, name, properties, occurred_at)
  SELECT n.workspace_id, n.contact_id, n.id, k.event_key, n.type, n.name, n.properties, n.occurred_at
  FROM new_rows n
  JOIN LATERAL (SELECT CASE WHEN n.type = 'track' THEN 'event:track:' || n.name ELSE 'event:' || n.type END AS event_key) k ON true
  WHERE n.contact_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM journey_event_keys j WHERE j.workspace_id = n.workspace_id AND j.event_key = k.event_key);
  RETURN NULL;
END $$;

CREATE TRIGGER journey_inbox_fan_in AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION journey_inbox_fan_in();

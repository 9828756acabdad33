-- Sense: append-only events in monthly partitions, message-id dedupe, anonymous ids, contact merges.

-- Traits a client sent that are not contact fields or declared custom fields: kept, never dropped.
ALTER TABLE contacts ADD COLUMN traits jsonb NOT NULL DEFAULT '{}';

CREATE TABLE events (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  message_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('identify', 'track', 'page', 'screen', 'group', 'alias')),
  -- The track event's name, or the page/screen name.
  name text,
  -- NULL while the visitor is anonymous; set when the anonymous id is identified.
  contact_id uuid REFERENCES contacts (id) ON DELETE CASCADE,
  anonymous_id text,
  user_id text,
  properties jsonb NOT NULL DEFAULT '{}',
  traits jsonb,
  context jsonb NOT NULL DEFAULT '{}',
  -- When it happened, corrected for the sender's clock skew.
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  sent_at timestamptz,
  PRIMARY KEY (workspace_id, occurred_at, id)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX events_contact ON events (contact_id, occurred_at);
CREATE INDEX events_name ON events (workspace_id, name, occurred_at);
CREATE INDEX events_anonymous ON events (workspace_id, anonymous_id, occurred_at) WHERE contact_id IS NULL;

-- One row per accepted messageId: a repeat (a client's retry) is recognised and stored no second time.
CREATE TABLE event_message_ids (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, message_id)
);

CREATE TABLE contact_anonymous_ids (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  anonymous_id text NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, anonymous_id)
);
CREATE INDEX contact_anonymous_ids_contact ON contact_anonymous_ids (contact_id);

-- History of merges: the absorbed contact as it was, so a merge can be explained (and undone by hand).
CREATE TABLE contact_merges (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  winner_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  loser_id uuid NOT NULL,
  reason text NOT NULL,
  loser jsonb NOT NULL,
  merged_at timestamptz NOT NULL
);
CREATE INDEX contact_merges_winner ON contact_merges (workspace_id, winner_id);

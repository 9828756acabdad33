-- Email compliance: the suppression list checked at every send, per-workspace subscription
-- topics, each contact's topic choices and frequency, and pending double opt-in confirmations.
-- Opt-in evidence itself goes into `consents` (0004): wording, time, IP, source.

-- Address-level: a suppression names the (lower-cased) address, so a contact created later with
-- the same address is still suppressed. Rows are never deleted: lifting sets lifted_at.
CREATE TABLE suppressions (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email)),
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  reason text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribe', 'manual')),
  source text NOT NULL,
  detail text,
  created_at timestamptz NOT NULL,
  lifted_at timestamptz,
  lifted_by text
);
-- The send-time check: active rows by address, and by contact.
CREATE INDEX suppressions_active_email ON suppressions (workspace_id, email) WHERE lifted_at IS NULL;
CREATE INDEX suppressions_active_contact ON suppressions (contact_id) WHERE lifted_at IS NULL;
CREATE INDEX suppressions_workspace ON suppressions (workspace_id, created_at, id);

CREATE TABLE subscription_topics (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  key text NOT NULL,
  name_ja text NOT NULL,
  name_en text NOT NULL,
  description text,
  default_subscribed boolean NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (workspace_id, key)
);

-- Only choices a contact (or an admin) made are stored; no row means the topic's default.
CREATE TABLE topic_preferences (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  topic_id uuid NOT NULL REFERENCES subscription_topics (id) ON DELETE CASCADE,
  subscribed boolean NOT NULL,
  source text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (contact_id, topic_id)
);
CREATE INDEX topic_preferences_topic ON topic_preferences (topic_id);

CREATE TABLE contact_preferences (
  contact_id uuid PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  frequency text NOT NULL CHECK (frequency IN ('all', 'weekly', 'monthly')),
  source text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- A double opt-in waiting for its confirm POST. The wording shown is kept here so the consent
-- recorded on confirmation says what the person was asked.
CREATE TABLE optin_confirmations (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  email text NOT NULL,
  topics text[] NOT NULL,
  wording text NOT NULL,
  source text NOT NULL,
  requested_at timestamptz NOT NULL,
  requested_ip text,
  expires_at timestamptz NOT NULL,
  confirmed_at timestamptz,
  confirmed_ip text
);
CREATE INDEX optin_confirmations_contact ON optin_confirmations (workspace_id, contact_id, requested_at);

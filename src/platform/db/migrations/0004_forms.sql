-- Forms: definitions, submissions, and the consent records a submission can create.

CREATE TABLE forms (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX forms_workspace ON forms (workspace_id, created_at);

CREATE TABLE form_submissions (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  form_id uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  anonymous_id text,
  data jsonb NOT NULL,
  ip text,
  user_agent text,
  submitted_at timestamptz NOT NULL
);
CREATE INDEX form_submissions_form ON form_submissions (workspace_id, form_id, submitted_at);

-- What a person agreed to, in which words, when, from where: kept as evidence (GDPR / APPI).
CREATE TABLE consents (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  purpose text NOT NULL,
  granted boolean NOT NULL,
  wording text NOT NULL,
  source text NOT NULL,
  ip text,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX consents_contact ON consents (workspace_id, contact_id, recorded_at);

-- Email templates: an editable draft and numbered published versions. A version keeps its
-- definition and, compiled once at publish, the HTML of each locale (MJML → HTML with the Liquid
-- left in), so sending renders Liquid per recipient and never compiles MJML again.

CREATE TABLE templates (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  draft jsonb NOT NULL,
  published_version integer,
  archived_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX templates_workspace ON templates (workspace_id, created_at, id);

CREATE TABLE template_versions (
  template_id uuid NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  -- {"locales": {"ja": {"html": "…"}, …}}: the body of each locale as HTML, Liquid intact.
  compiled jsonb NOT NULL,
  published_at timestamptz NOT NULL,
  PRIMARY KEY (template_id, version)
);

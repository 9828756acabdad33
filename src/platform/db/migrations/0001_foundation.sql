-- Foundation: workspaces, API keys, companies, contacts, custom fields, imports, jobs.
-- Every business row carries workspace_id and every query filters by it.

CREATE TABLE workspaces (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  default_region text NOT NULL DEFAULT 'JP',
  timezone text NOT NULL DEFAULT 'Asia/Tokyo',
  locale text NOT NULL DEFAULT 'ja',
  created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('admin', 'read', 'write')),
  -- The first characters of the key, shown in listings so people can tell keys apart.
  prefix text NOT NULL,
  -- SHA-256 of the whole key; the key itself is shown once and never stored.
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

CREATE TABLE companies (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- Legal-form-free, NFKC, lower-cased name used for matching (株式会社/(株)/Inc. removed).
  name_key text NOT NULL,
  domain text,
  industry text,
  employee_count integer CHECK (employee_count >= 0),
  revenue_band text,
  country text,
  custom jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX companies_domain ON companies (workspace_id, domain) WHERE domain IS NOT NULL;
CREATE INDEX companies_name_key ON companies (workspace_id, name_key);
CREATE INDEX companies_created ON companies (workspace_id, created_at, id);

CREATE TABLE contacts (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  email text,
  first_name text,
  last_name text,
  first_name_kana text,
  last_name_kana text,
  -- 'family_first' for Japanese (and other East Asian) names, 'given_first' otherwise.
  name_order text NOT NULL DEFAULT 'given_first' CHECK (name_order IN ('given_first', 'family_first')),
  phone text,
  job_title text,
  role_level text,
  department text,
  industry text,
  company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
  company_name text,
  employee_count integer CHECK (employee_count >= 0),
  country text,
  region text,
  timezone text,
  locale text,
  owner text,
  tags text[] NOT NULL DEFAULT '{}',
  lifecycle_stage text,
  first_touch jsonb,
  last_touch jsonb,
  first_seen_at timestamptz,
  last_seen_at timestamptz,
  custom jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, email) WHERE email IS NOT NULL;
CREATE INDEX contacts_created ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_updated ON contacts (workspace_id, updated_at, id);
CREATE INDEX contacts_company ON contacts (workspace_id, company_id);
CREATE INDEX contacts_tags ON contacts USING gin (tags);

-- External ids from CRMs, shops and other systems: one contact may have several, one per source.
CREATE TABLE contact_external_ids (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  source text NOT NULL,
  external_id text NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  PRIMARY KEY (workspace_id, source, external_id)
);
CREATE INDEX contact_external_ids_contact ON contact_external_ids (contact_id);

CREATE TABLE custom_fields (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  entity text NOT NULL CHECK (entity IN ('contact', 'company')),
  key text NOT NULL,
  label text NOT NULL,
  type text NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'enum', 'multi_enum')),
  options text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, entity, key)
);

CREATE TABLE imports (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  filename text NOT NULL,
  -- The uploaded bytes, kept until the import finishes so an acknowledged upload survives a crash.
  source bytea,
  encoding text,
  mapping jsonb,
  options jsonb NOT NULL DEFAULT '{}',
  total_rows integer NOT NULL DEFAULT 0,
  processed_rows integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  updated_count integer NOT NULL DEFAULT 0,
  unchanged_count integer NOT NULL DEFAULT 0,
  merged_count integer NOT NULL DEFAULT 0,
  rejected_count integer NOT NULL DEFAULT 0,
  warning_count integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX imports_workspace ON imports (workspace_id, created_at);

CREATE TABLE import_issues (
  import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  line integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('rejected', 'warning', 'conflict', 'merged')),
  field text,
  message text NOT NULL,
  value text,
  PRIMARY KEY (import_id, seq)
);

-- Background work: every job is a row with an absolute due time, claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,
  kind text NOT NULL,
  -- Deterministic key: enqueueing the same key twice yields one job.
  key text NOT NULL UNIQUE,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 5,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE status IN ('pending', 'running');

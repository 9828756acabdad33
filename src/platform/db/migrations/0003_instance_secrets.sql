-- Secrets of this Kizuna installation (not of a workspace), created on first use: the key that
-- signs email open/click tracking tokens survives restarts and is shared by every process.
CREATE TABLE instance_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL
);

-- Signed outgoing webhooks (Standard Webhooks): the endpoints a workspace registers, and one
-- delivery row per signal and subscribed endpoint, written in the transaction of the signal.

CREATE TABLE webhook_endpoints (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  url text NOT NULL,
  description text,
  -- The signing secret, whsec_<base64>: kept in clear because every delivery is signed with it.
  secret text NOT NULL,
  -- The signal kinds this endpoint receives.
  kinds text[] NOT NULL CHECK (cardinality(kinds) > 0),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_workspace ON webhook_endpoints (workspace_id, created_at, id);
-- The fan-out trigger probes this for every statement that writes signals.
CREATE INDEX webhook_endpoints_active ON webhook_endpoints (workspace_id) WHERE active;

CREATE TABLE webhook_deliveries (
  -- Sent as the webhook-id header: receivers deduplicate on it, so retries keep it.
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- No foreign key: signals is an append-only outbox and this only records where a delivery came from.
  signal_id bigint NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  -- Attempts that got an answer or an error (an attempt cut short by a crashed worker is not counted).
  attempts integer NOT NULL DEFAULT 0,
  -- While pending: when to try next; while a worker sends it, the end of that worker's lease.
  next_attempt_at timestamptz NOT NULL,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  UNIQUE (endpoint_id, signal_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);

-- Fan-out: once per statement that inserts signals (also from a data-modifying CTE), one
-- delivery per new signal and active endpoint of its workspace subscribed to its kind. Being in
-- the signal's transaction, a delivery exists exactly when its signal committed; no reader has to
-- follow the outbox by id (identity values commit out of order). Times are the signal's own
-- (occurred_at), which writers take from the injectable clock.
CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Most installations have no endpoint: one index probe and done.
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE active) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, signal_id, kind, payload, next_attempt_at, created_at)
  SELECT gen_random_uuid(), s.workspace_id, e.id, s.id, s.kind,
    jsonb_build_object(
      'type', s.kind,
      'timestamp', to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'data', jsonb_build_object('contactId', s.contact_id, 'subjectId', s.subject_id) || s.data),
    s.occurred_at, s.occurred_at
  FROM new_signals s
  JOIN webhook_endpoints e ON e.workspace_id = s.workspace_id AND e.active AND s.kind = ANY (e.kinds)
  ON CONFLICT (endpoint_id, signal_id) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER signals_webhook_fan_out AFTER INSERT ON signals
  REFERENCING NEW TABLE AS new_signals
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_fan_out();

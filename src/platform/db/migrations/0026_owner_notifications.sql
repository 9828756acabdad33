-- owner_notifications: the outbox of internal emails to sales owners (a handoff assigned, an SLA
-- breached, a journey's notify_owner). Queued in the transaction of their cause, sent by the
-- worker (claimed with FOR UPDATE SKIP LOCKED), retried with backoff on SMTP failure. Staff mail,
-- not marketing: no consent, suppression or frequency rules apply.
CREATE TABLE owner_notifications (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- The contact it is about; kept (as null) when the contact is deleted: the mail was still sent.
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  to_email text NOT NULL,
  -- handoff.assigned | handoff.sla_breached | owner.notified (the kinds of the matching signals)
  kind text NOT NULL,
  -- What the mail says, as data (contact, due times, the journey's message); composed in the
  -- workspace's locale when sent, with a link under the server's public URL.
  facts jsonb NOT NULL,
  -- What went out (null until sent).
  subject text,
  text text,
  html text,
  -- handoff:<id>:assigned, handoff:<id>:<timer>_breached, journey:<enrolment>:<node>:<visit>: a
  -- retried transaction or a replayed step queues nothing twice.
  idempotency_key text NOT NULL UNIQUE,
  -- queued → sending (handed to SMTP under this worker's lease) → sent | failed
  status text NOT NULL DEFAULT 'queued',
  attempts integer NOT NULL DEFAULT 0,
  -- When it is due; while claimed, the end of the claim's lease.
  next_attempt_at timestamptz NOT NULL,
  sent_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL
);
CREATE INDEX owner_notifications_due ON owner_notifications (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX owner_notifications_workspace ON owner_notifications (workspace_id, created_at DESC, id DESC);

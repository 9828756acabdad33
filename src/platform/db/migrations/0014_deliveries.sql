-- The sending pipeline: one delivery row per message to one contact on one channel, claimed by
-- workers with FOR UPDATE SKIP LOCKED; broadcasts (campaigns) that enqueue deliveries for a
-- segment or list; per-workspace sending settings (senders, caps, quiet hours).

CREATE TABLE campaigns (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- draft → scheduled → sending (→ testing while an A/B test window runs) → sent; cancelled at any point before sent.
  status text NOT NULL CHECK (status IN ('draft', 'scheduled', 'testing', 'sending', 'sent', 'cancelled')),
  -- Template, audience, topic, sender, UTM, throttle, send window, A/B test (zod: campaigns.ts).
  definition jsonb NOT NULL,
  scheduled_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- The A/B test's outcome: per-variant figures, the test used, the winner and when it was picked.
  ab_result jsonb,
  -- When the worker looks at the campaign next (start, test window end, next throttle slot).
  next_step_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX campaigns_workspace ON campaigns (workspace_id, created_at, id);
CREATE INDEX campaigns_due ON campaigns (next_step_at) WHERE status IN ('scheduled', 'testing', 'sending');

CREATE TABLE deliveries (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- Kept when the contact is deleted: reports and the bounce/complaint trail still need the row.
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
  -- Marketing: every suppression, topic opt-out, cap and quiet hour applies. Transactional: only
  -- hard bounces and complaints stop it.
  kind text NOT NULL CHECK (kind IN ('marketing', 'transactional')),
  campaign_id uuid REFERENCES campaigns (id) ON DELETE SET NULL,
  -- Who asked for it: campaign:<id>, journey:<id>, api, test, system:<what>.
  source text NOT NULL,
  -- A re-enqueue with the same key is a no-op: a broadcast restarted, a journey step retried.
  dedupe_key text,
  template_id uuid,
  template_version integer,
  -- The A/B variant this delivery belongs to (a key of the campaign's test), if any.
  variant text,
  topic text,
  -- Higher goes first when a frequency cap leaves room for fewer messages than are due.
  priority smallint NOT NULL DEFAULT 0,
  -- Inline content instead of a template (system mail, SMS text, webhook payload).
  content jsonb,
  -- Liquid context: event and journey.
  context jsonb,
  -- The address used (email, phone, URL), written when it is sent.
  to_address text,
  status text NOT NULL CHECK (status IN (
    'queued', 'sending', 'deferred', 'sent', 'failed', 'skipped',
    'bounced', 'soft_bounced', 'opened', 'clicked', 'unsubscribed', 'complained')),
  -- queued/deferred: when it may go; sending: the end of the worker's lease.
  due_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  -- skipped: which policy stopped it; deferred: why it waits (quiet_hours, frequency_cap, send_window, smtp_4xx…).
  reason text,
  error text,
  -- The Message-ID header (complaints name it) and the provider's answer (SMTP reply, SMS sid).
  message_id text,
  provider_response text,
  created_at timestamptz NOT NULL,
  sent_at timestamptz,
  -- First open and click by a person; machine opens (privacy proxies, scanners) are kept apart.
  opened_at timestamptz,
  machine_opened_at timestamptz,
  clicked_at timestamptz,
  bounced_at timestamptz,
  complained_at timestamptz,
  unsubscribed_at timestamptz,
  UNIQUE (workspace_id, dedupe_key)
);
-- The claim: due rows in due order.
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status IN ('queued', 'deferred');
-- Lease recovery: rows a worker claimed and never finished.
CREATE INDEX deliveries_sending ON deliveries (due_at) WHERE status = 'sending';
CREATE INDEX deliveries_campaign ON deliveries (campaign_id, variant) WHERE campaign_id IS NOT NULL;
-- Frequency caps and send-time optimisation: a contact's recent marketing sends.
CREATE INDEX deliveries_contact ON deliveries (contact_id, sent_at);
CREATE INDEX deliveries_workspace ON deliveries (workspace_id, created_at, id);
CREATE INDEX deliveries_message_id ON deliveries (message_id) WHERE message_id IS NOT NULL;

-- Per-workspace sending rules (zod: sending-settings.ts); no row means the defaults.
CREATE TABLE sending_settings (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
  definition jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

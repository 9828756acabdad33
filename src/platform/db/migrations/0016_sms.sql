-- SMS: phone-level opt-outs checked at every SMS send (smsPolicy), written by inbound STOP
-- keywords, the admin API and the provider's own "recipient unsubscribed" answers.

-- Phone-level, not contact-level: consent to texts belongs to the number, so a contact created or
-- merged later with the same number is still opted out, and one that changes number is not.
-- Rows are never deleted: START or an admin lifts an opt-out by setting lifted_at, and the row stays
-- as the record of when the person said STOP and how.
CREATE TABLE sms_opt_outs (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  -- E.164, as libphonenumber-js writes it (normalised with the workspace's default region).
  phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  -- inbound (a keyword texted to us), api (an admin), provider (the provider refused: 21610).
  source text NOT NULL CHECK (source IN ('inbound', 'api', 'provider')),
  -- The keyword the person texted, in its canonical form (ＳＴＯＰ and stop are STOP), for source inbound.
  keyword text,
  -- The provider's id of the inbound message or of the refused send: evidence of the opt-out.
  message_sid text,
  detail text,
  created_at timestamptz NOT NULL,
  lifted_at timestamptz,
  -- inbound:<keyword> or api:<key id>.
  lifted_by text
);
-- At most one active opt-out per number: a provider retrying the same STOP webhook, or two STOPs
-- racing, insert once (ON CONFLICT DO NOTHING against this index), so the contact event is written once.
CREATE UNIQUE INDEX sms_opt_outs_active ON sms_opt_outs (workspace_id, phone) WHERE lifted_at IS NULL;
CREATE INDEX sms_opt_outs_workspace ON sms_opt_outs (workspace_id, created_at, id);

-- An inbound STOP names a phone number: finding the contacts that have it (for their events) must
-- not scan the workspace's contacts.
CREATE INDEX contacts_phone ON contacts (workspace_id, phone) WHERE phone IS NOT NULL;

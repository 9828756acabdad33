-- Follow-up tasks for sales (created on handoff, by the API, later by journeys), and the recycle
-- timer of a rejected handoff: the lead goes back to nurture after a while.

CREATE TABLE tasks (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  owner text NOT NULL,
  title text NOT NULL,
  notes text,
  due_at timestamptz,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  -- handoff | api
  source text NOT NULL,
  handoff_id uuid REFERENCES handoffs (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  completed_at timestamptz
);
CREATE INDEX tasks_owner ON tasks (workspace_id, owner, status, due_at);
CREATE INDEX tasks_contact ON tasks (contact_id);
CREATE INDEX tasks_handoff ON tasks (handoff_id) WHERE handoff_id IS NOT NULL;

ALTER TABLE handoffs ADD COLUMN recycle_due timestamptz, ADD COLUMN recycled_at timestamptz;
CREATE INDEX handoffs_recycle_due ON handoffs (recycle_due) WHERE recycled_at IS NULL;

import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB, DeliveriesTable } from '../../platform/db/schema.ts';

/** How long a claimed delivery belongs to its worker; a worker that dies leaves it to recovery. */
export const LEASE_MS = 5 * 60_000;

/**
 * A claim: the rows and the end of their lease. The lease end is the claim's token too: a row
 * is reclaimed only after its lease ran out, with a later end, so `due_at = lease` says the row
 * is still this claim's (a worker that outlived its lease touches nothing another worker took).
 */
export interface Claim {
  rows: Selectable<DeliveriesTable>[];
  lease: Date;
}

/** Claims due rows and leases them, in one statement (its own short transaction); `handed_at` starts empty. */
export async function claimDue(db: Kysely<DB>, now: Date, { workspaceId, limit }: { workspaceId?: string; limit: number }): Promise<Claim> {
  const lease = new Date(now.getTime() + LEASE_MS);
  const { rows } = await sql<Selectable<DeliveriesTable>>`
    WITH due AS (
      SELECT id FROM deliveries
      WHERE status IN ('queued', 'deferred') AND due_at <= ${now} ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
      ORDER BY due_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    UPDATE deliveries d SET status = 'sending', due_at = ${lease}, attempts = d.attempts + 1, handed_at = NULL
    FROM due WHERE d.id = due.id
    RETURNING d.*`.execute(db);
  return { rows, lease };
}

/** What became of one claimed delivery. */
export type Outcome =
  | { id: string; status: 'sent'; to: string; messageId: string; response: string; sentAt: Date }
  | { id: string; status: 'skipped'; reason: string; to?: string | null }
  | { id: string; status: 'deferred'; reason: string; dueAt: Date; error?: string; attempt: boolean }
  | { id: string; status: 'failed'; error: string; to?: string | null }
  | { id: string; status: 'bounced'; error: string; to: string };

/**
 * One statement for a claim's writes while it sends: records `outcomes`, and marks the rows of
 * `hand` as being handed over (to SMTP, the SMS provider, a webhook URL), right before handing
 * them. Both touch only rows still held by the claim, except that a `sent` may overwrite the
 * `failed` recovery gave a handed row whose lease ran out (a handed row is never reclaimed).
 * @returns the ids of `hand` marked: the only ones the caller may hand over.
 */
export async function settle(
  db: Kysely<DB>,
  { outcomes = [], hand = [], lease, now }: { outcomes?: readonly Outcome[]; hand?: readonly string[]; lease: Date; now: Date },
): Promise<Set<string>> {
  if (outcomes.length === 0 && hand.length === 0) return new Set();
  const rows = outcomes.map((o) => ({
    id: o.id,
    status: o.status,
    due_at: o.status === 'deferred' ? o.dueAt.toISOString() : null,
    uncount: o.status === 'deferred' && !o.attempt ? 1 : 0,
    reason: o.status === 'skipped' || o.status === 'deferred' ? o.reason : null,
    error: o.status === 'failed' || o.status === 'bounced' ? o.error : o.status === 'deferred' ? (o.error ?? null) : null,
    to_address: 'to' in o ? (o.to ?? null) : null,
    message_id: o.status === 'sent' ? o.messageId : null,
    provider_response: o.status === 'sent' ? o.response : null,
    sent_at: o.status === 'sent' ? o.sentAt.toISOString() : null,
    bounced_at: o.status === 'bounced' ? now.toISOString() : null,
  }));
  // `(status, due_at) IS NOT DISTINCT FROM …` rather than `status = … AND due_at = …`: no index on
  // status or due_at applies, so the primary key finds these few rows. Estimates from stale
  // statistics would otherwise pick deliveries_sending and read every row of every batch in flight,
  // once per group.
  const { rows: handed } = await sql<{ id: string }>`
    WITH recorded AS (
      UPDATE deliveries d SET
        status = u.status,
        due_at = coalesce(u.due_at, d.due_at),
        attempts = d.attempts - u.uncount,
        reason = u.reason,
        error = left(u.error, 2000),
        to_address = coalesce(u.to_address, d.to_address),
        message_id = coalesce(u.message_id, d.message_id),
        provider_response = coalesce(left(u.provider_response, 500), d.provider_response),
        sent_at = coalesce(u.sent_at, d.sent_at),
        bounced_at = coalesce(u.bounced_at, d.bounced_at),
        handed_at = CASE WHEN d.id = ANY(${hand}::uuid[]) THEN ${now} ELSE d.handed_at END
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS u(
        id uuid, status text, due_at timestamptz, uncount int, reason text, error text,
        to_address text, message_id text, provider_response text, sent_at timestamptz, bounced_at timestamptz)
      WHERE d.id = u.id AND d.id = ANY(${rows.map((r) => r.id)}::uuid[])
        AND ((d.status, d.due_at) IS NOT DISTINCT FROM ('sending', ${lease}::timestamptz) OR (u.status = 'sent' AND d.status = 'failed'))
      RETURNING d.id),
    -- A row with its outcome in this statement is marked by the update above: two updates of one
    -- row in one statement keep only one of them (a refusal at RCPT, whose mark was still
    -- pending, kept the mark and lost its outcome, leaving the row 'sending').
    handed AS (
      UPDATE deliveries SET handed_at = ${now}
      WHERE id = ANY(${hand}::uuid[]) AND NOT id = ANY(${rows.map((r) => r.id)}::uuid[])
        AND (status, due_at) IS NOT DISTINCT FROM ('sending', ${lease}::timestamptz)
      RETURNING id)
    SELECT id FROM handed UNION ALL SELECT id FROM recorded WHERE id = ANY(${hand}::uuid[])`.execute(db);
  return new Set(handed.map((r) => r.id));
}

/**
 * Marks rows as being handed over, right before handing them (see settle).
 * @returns the ids marked: the only ones the caller may hand over.
 */
export function markHanded(db: Kysely<DB>, ids: readonly string[], { lease, now }: { lease: Date; now: Date }): Promise<Set<string>> {
  return settle(db, { hand: ids, lease, now });
}

/** Writes outcomes to the rows the claim still holds (see settle). */
export async function recordOutcomes(
  db: Kysely<DB>,
  outcomes: readonly Outcome[],
  { now, lease }: { now: Date; lease: Date },
): Promise<void> {
  await settle(db, { outcomes, lease, now });
}

/**
 * Rows whose worker died holding them (still `sending` after the lease). Never handed: back to
 * the queue as they were before the claim (the claim's attempt uncounted); nothing can have left.
 * Handed with no outcome recorded: failed, not sent again, since it may have arrived (an MTA
 * commits a message before it answers 250) and a duplicate is worse than a message lost in a
 * crash, which the row at least shows. A late `sent` from a slow worker still overwrites the failure.
 * @returns how many rows went back to the queue and how many failed.
 */
export async function recoverExpiredLeases(
  db: Kysely<DB>,
  now: Date,
  workspaceId?: string,
): Promise<{ requeued: number; interrupted: number }> {
  const { rows } = await sql<{ requeued: number; interrupted: number }>`
    WITH recovered AS (
      UPDATE deliveries SET
        status = CASE WHEN handed_at IS NOT NULL THEN 'failed' WHEN attempts > 1 THEN 'deferred' ELSE 'queued' END,
        attempts = CASE WHEN handed_at IS NULL THEN attempts - 1 ELSE attempts END,
        error = CASE WHEN handed_at IS NULL THEN error
          ELSE 'interrupted while sending (worker stopped after handing it over); not retried so it cannot arrive twice' END
      WHERE status = 'sending' AND due_at < ${now} ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
      RETURNING handed_at)
    SELECT count(*) FILTER (WHERE handed_at IS NULL)::int AS requeued, count(*) FILTER (WHERE handed_at IS NOT NULL)::int AS interrupted
    FROM recovered`.execute(db);
  return rows[0]!;
}

import { type Kysely, sql } from 'kysely';
import type { DB } from '../platform/db/schema.ts';

/** Closes a contact's current segment stints with an exited signal each (a merge, a deletion). */
export async function closeMemberships(
  tx: Kysely<DB>,
  { workspaceId, contactId, cause, data = {} }: { workspaceId: string; contactId: string; cause: string; data?: Record<string, unknown> },
  now: Date,
): Promise<void> {
  await sql`
    WITH closed AS (
      UPDATE segment_members SET exited_at = ${now}, exit_cause = ${cause}
      WHERE workspace_id = ${workspaceId} AND contact_id = ${contactId} AND exited_at IS NULL
      RETURNING segment_id, version)
    INSERT INTO signals (workspace_id, kind, contact_id, subject_id, data, occurred_at)
    SELECT ${workspaceId}::uuid, 'segment.exited', ${contactId}::uuid, segment_id,
      jsonb_build_object('version', version, 'cause', ${cause}::text) || ${JSON.stringify(data)}::jsonb, ${now}::timestamptz
    FROM closed`.execute(tx);
}

/**
 * When `loserId` is merged into `winnerId`: the loser's current segment stints close (with an
 * exited signal saying where it went), its whole stint history moves to the winner, and the
 * winner joins the loser's static lists. The winner's own segments are re-evaluated at the end of
 * the unit of work, so it enters whatever the merged data now qualifies it for.
 */
export async function moveMemberships(
  tx: Kysely<DB>,
  { workspaceId, winnerId, loserId }: { workspaceId: string; winnerId: string; loserId: string },
  now: Date,
): Promise<void> {
  await closeMemberships(tx, { workspaceId, contactId: loserId, cause: 'merged', data: { mergedInto: winnerId } }, now);
  await tx.updateTable('segment_members').set({ contact_id: winnerId }).where('contact_id', '=', loserId).execute();
  await sql`
    INSERT INTO list_members (workspace_id, list_id, contact_id, added_at)
    SELECT workspace_id, list_id, ${winnerId}::uuid, added_at FROM list_members WHERE contact_id = ${loserId}
    ON CONFLICT DO NOTHING`.execute(tx);
}

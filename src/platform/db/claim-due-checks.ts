import { type Kysely, sql } from 'kysely';
import type { DB } from './schema.ts';

/**
 * Claims and deletes up to `limit` due re-check rows (segment_checks, score_checks), each locked
 * together with its contact, skipping contacts a write path holds: lock order never inverts, so
 * no deadlock; a skipped check stays due for the next tick. Checks whose contact is gone (the
 * tables have no foreign key to contacts) are dropped.
 */
export async function claimDueChecks(
  tx: Kysely<DB>,
  {
    table,
    key,
    now,
    limit,
    workspaceId,
  }: { table: 'segment_checks' | 'score_checks'; key: 'segment_id' | 'model_id'; now: Date; limit: number; workspaceId?: string },
): Promise<{ workspace_id: string; subject_id: string; contact_id: string }[]> {
  const onlyWorkspace = workspaceId ? sql`AND k.workspace_id = ${workspaceId}` : sql``;
  const subject = sql.ref(`k.${key}`);
  const { rows } = await sql<{ workspace_id: string; subject_id: string; contact_id: string }>`
    WITH due AS (
      SELECT ${subject} AS subject_id, k.contact_id FROM ${sql.table(table)} k JOIN contacts c ON c.id = k.contact_id
      WHERE k.due_at <= ${now} ${onlyWorkspace}
      ORDER BY k.due_at LIMIT ${limit}
      FOR UPDATE OF k SKIP LOCKED FOR NO KEY UPDATE OF c SKIP LOCKED)
    DELETE FROM ${sql.table(table)} k USING due WHERE ${subject} = due.subject_id AND k.contact_id = due.contact_id
    RETURNING k.workspace_id, ${subject} AS subject_id, k.contact_id`.execute(tx);
  if (rows.length < limit) {
    await sql`DELETE FROM ${sql.table(table)} k WHERE k.due_at <= ${now} ${onlyWorkspace}
      AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = k.contact_id)`.execute(tx);
  }
  return rows;
}

import { type Kysely, sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { unitOfWork } from '../segments/membership.ts';

/**
 * Runs the decay re-scores that are due, claimed together with their contact (skipping contacts
 * a write path holds, so lock order never inverts), in a unit of work: scores, then the segments
 * that read them. Tests pass their workspace: other tests' clocks must not run theirs.
 * @returns how many ran; call again while it returns `limit`.
 */
export async function runDueScoreChecks(
  db: Kysely<DB>,
  clock: Clock,
  { limit = 500, workspaceId }: { limit?: number; workspaceId?: string } = {},
): Promise<number> {
  return unitOfWork(db, clock, async (tx) => {
    const onlyWorkspace = workspaceId ? sql`AND k.workspace_id = ${workspaceId}` : sql``;
    const { rows } = await sql<{ workspace_id: string; model_id: string; contact_id: string }>`
      WITH due AS (
        SELECT k.model_id, k.contact_id FROM score_checks k JOIN contacts c ON c.id = k.contact_id
        WHERE k.due_at <= ${clock.now()} ${onlyWorkspace}
        ORDER BY k.due_at LIMIT ${limit}
        FOR UPDATE OF k SKIP LOCKED FOR NO KEY UPDATE OF c SKIP LOCKED)
      DELETE FROM score_checks k USING due WHERE k.model_id = due.model_id AND k.contact_id = due.contact_id
      RETURNING k.workspace_id, k.model_id, k.contact_id`.execute(tx);
    if (rows.length < limit) {
      // Checks of contacts deleted or merged away since (no foreign key to contacts).
      await sql`DELETE FROM score_checks k WHERE k.due_at <= ${clock.now()} ${onlyWorkspace}
        AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = k.contact_id)`.execute(tx);
    }
    for (const row of rows) noteContactChange(tx, row.workspace_id, row.contact_id, [`score-check:${row.model_id}`]);
    return rows.length;
  });
}

/** Every due decay re-score (a worker tick). */
export async function drainDueScoreChecks(db: Kysely<DB>, clock: Clock, options: { workspaceId?: string } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const ran = await runDueScoreChecks(db, clock, options);
    total += ran;
    if (ran < 500) return total;
  }
}

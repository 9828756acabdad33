import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { claimDueChecks } from '../platform/db/claim-due-checks.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { unitOfWork } from '../segments/membership.ts';

/**
 * Runs the decay re-scores that are due (`claimDueChecks`), in a unit of work: scores, then the
 * stage rules and segments that read them. Tests pass their workspace: other tests' clocks must not run theirs.
 * @returns how many ran; call again while it returns `limit`.
 */
export async function runDueScoreChecks(
  db: Kysely<DB>,
  clock: Clock,
  { limit = 500, workspaceId }: { limit?: number; workspaceId?: string } = {},
): Promise<number> {
  return unitOfWork(db, clock, async (tx) => {
    const rows = await claimDueChecks(tx, { table: 'score_checks', key: 'model_id', now: clock.now(), limit, workspaceId });
    for (const row of rows) noteContactChange(tx, row.workspace_id, row.contact_id, [`score-check:${row.subject_id}`]);
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

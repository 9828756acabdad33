import type { Selectable } from 'kysely';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import type { DB, JobsTable } from '../db/schema.ts';

export type Job = Selectable<JobsTable>;

/** Enqueues a job; a second enqueue with the same key is a no-op (idempotency by construction). */
export async function enqueueJob(
  db: Kysely<DB>,
  job: { kind: string; key: string; workspaceId?: string | null; payload?: Record<string, unknown>; runAt?: Date; maxAttempts?: number },
  clock: Clock,
): Promise<void> {
  const now = clock.now();
  await db
    .insertInto('jobs')
    .values({
      kind: job.kind,
      key: job.key,
      workspace_id: job.workspaceId ?? null,
      payload: JSON.stringify(job.payload ?? {}),
      run_at: job.runAt ?? now,
      max_attempts: job.maxAttempts ?? 5,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

/**
 * Claims up to `limit` due jobs for one worker with FOR UPDATE SKIP LOCKED, so any number of
 * workers share the queue without double work. A running job whose lease ran out (its worker
 * died) is due again.
 */
export async function claimJobs(
  db: Kysely<DB>,
  { workerId, kinds, limit = 1, leaseMs = 60_000 }: { workerId: string; kinds: string[]; limit?: number; leaseMs?: number },
  clock: Clock,
): Promise<Job[]> {
  const now = clock.now();
  // A job whose worker died on every attempt (it crashes the process, say) is given up, not retried forever.
  await sql`
    UPDATE jobs SET status = 'failed', finished_at = ${now}, locked_by = NULL, locked_until = NULL,
      last_error = coalesce(last_error || '; ', '') || 'the worker running it stopped answering on the last attempt'
    WHERE status = 'running' AND locked_until < ${now} AND attempts >= max_attempts AND kind = ANY(${kinds}::text[])`.execute(db);
  const result = await sql<Job>`
    UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ${workerId}, locked_until = ${new Date(now.getTime() + leaseMs)}
    WHERE id IN (
      SELECT id FROM jobs
      WHERE kind = ANY(${kinds}::text[]) AND run_at <= ${now}
        AND (status = 'pending' OR (status = 'running' AND locked_until < ${now} AND attempts < max_attempts))
      ORDER BY run_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return result.rows;
}

/** Extends a running job's lease (long imports call this between batches). */
export async function extendLease(db: Kysely<DB>, job: Pick<Job, 'id' | 'locked_by'>, leaseMs: number, clock: Clock): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ locked_until: new Date(clock.now().getTime() + leaseMs) })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .execute();
}

/** Marks a job done, unless its lease was lost to another worker meanwhile (that one finishes it). */
export async function completeJob(db: Kysely<DB>, job: Pick<Job, 'id' | 'locked_by'>, clock: Clock): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'done', finished_at: clock.now(), locked_by: null, locked_until: null })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .execute();
}

/**
 * Records a failure. A retryable failure goes back to pending with exponential backoff
 * (2^attempts seconds, at most an hour) until max_attempts; otherwise the job is failed for good.
 */
export async function failJob(
  db: Kysely<DB>,
  job: Pick<Job, 'id' | 'attempts' | 'max_attempts' | 'locked_by'>,
  error: string,
  { retryable }: { retryable: boolean },
  clock: Clock,
): Promise<'retry' | 'failed'> {
  const now = clock.now();
  const retry = retryable && job.attempts < job.max_attempts;
  await db
    .updateTable('jobs')
    .set({
      status: retry ? 'pending' : 'failed',
      run_at: retry ? new Date(now.getTime() + Math.min(2 ** job.attempts, 3600) * 1000) : undefined,
      finished_at: retry ? null : now,
      last_error: error.slice(0, 4000),
      locked_by: null,
      locked_until: null,
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', job.locked_by)
    .execute();
  return retry ? 'retry' : 'failed';
}

import { type Kysely, sql } from 'kysely';
import { createCompanyCache, forgetUnsettled, settleCompanyCache } from '../companies/resolve-companies.ts';
import { type ContactWrite, type ContactWriteOutcome, upsertContacts } from '../contacts/upsert-contacts.ts';
import type { DB } from '../platform/db/schema.ts';
import { withConflictRetry } from '../platform/db/with-conflict-retry.ts';
import { unitOfWork } from '../segments/membership.ts';
import type { ImportCounts, ImportIssue, ImportOptions } from './import-contacts.ts';

/** One line of the file on its way to the database: its write (unless rejected) and its report rows. */
export interface Pending {
  line: number;
  write?: ContactWrite;
  issues: ImportIssue[];
}

/**
 * Writes batches in order, one transaction each, keeping at most one write in flight so the
 * caller can cleanse the next batch meanwhile. Table statistics are refreshed as the import
 * doubles the table: PGlite never analyses by itself and PostgreSQL's autovacuum lags a fast
 * import, and with stale statistics the email lookup stops using its index.
 */
export function createBatchWriter({
  db,
  workspaceId,
  clock,
  counts,
  onBatch,
}: Pick<ImportOptions, 'db' | 'workspaceId' | 'clock' | 'onBatch'> & { counts: ImportCounts }) {
  const companyCache = createCompanyCache();
  let inFlight: Promise<void> = Promise.resolve();
  let sinceAnalyze = 0;
  let analyzedSize: number | undefined;

  const analyzeIfGrown = async (final: boolean) => {
    analyzedSize ??= await estimatedContacts(db);
    // During the import: each time the table has doubled. At the end: when it grew by a tenth.
    const threshold = final ? Math.max(1, analyzedSize / 10) : Math.max(1000, analyzedSize);
    if (sinceAnalyze < threshold) return;
    await sql`ANALYZE contacts, companies, contact_external_ids`.execute(db);
    analyzedSize += sinceAnalyze;
    sinceAnalyze = 0;
  };

  const writeNow = async (current: Pending[], durable: boolean) => {
    if (current.length === 0) return;
    const writes = current.flatMap((p) => (p.write ? [p.write] : []));
    const committed = await withConflictRetry(() =>
      unitOfWork(db, clock, async (tx) => {
        // Batches commit without waiting for the WAL flush; the last one waits, and with it every
        // earlier one, so an import is durable when it reports completion. A crash before that
        // reruns the import, which finds the contacts already written.
        if (!durable) await sql`SET LOCAL synchronous_commit = off`.execute(tx);
        forgetUnsettled(companyCache);
        const outcomes = writes.length ? await upsertContacts(tx, workspaceId, writes, clock, { companyCache, cause: 'import' }) : [];
        const next = { ...counts, total: counts.total + current.length };
        const issues = current.flatMap((p) => p.issues);
        for (const outcome of outcomes) for (const i of describeOutcome(outcome, next)) issues.push(i);
        for (const p of current) if (!p.write) next.rejected++;
        next.warnings += issues.filter((i) => i.kind === 'warning').length;
        issues.sort((a, b) => a.line - b.line);
        await onBatch?.({ processed: next.total, counts: { ...next }, issues }, tx);
        return { next, created: outcomes.filter((o) => o.status === 'created').length };
      }),
    );
    // Only what a committed transaction learnt counts: a retried attempt's ids were rolled back.
    settleCompanyCache(companyCache);
    Object.assign(counts, committed.next);
    sinceAnalyze += committed.created;
    await analyzeIfGrown(false);
  };

  let pending: Pending[] = [];
  return {
    /** Queues a batch; the previous one is written meanwhile (at most one write in flight). */
    async write(current: Pending[]) {
      if (current.length === 0) return;
      await inFlight;
      inFlight = writeNow(pending, false);
      // Awaited by the next write or by finish(); this only keeps Node from calling it unhandled meanwhile.
      inFlight.catch(() => {});
      pending = current;
    },
    async finish() {
      await inFlight;
      await writeNow(pending, true);
      await analyzeIfGrown(true);
    },
  };
}

async function estimatedContacts(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT greatest(reltuples, 0)::int AS n FROM pg_class WHERE relname = 'contacts'`.execute(db);
  return rows[0]?.n ?? 0;
}

function describeOutcome(outcome: ContactWriteOutcome, counts: ImportCounts): ImportIssue[] {
  const line = outcome.index;
  if (outcome.status === 'rejected') {
    counts.rejected++;
    return outcome.errors.map((e) => issue(line, 'rejected', e.path, e.message, null));
  }
  const issues: ImportIssue[] = outcome.conflicts.map((c) =>
    issue(
      line,
      'conflict',
      reportField(c.field),
      `replaced ${JSON.stringify(c.previous)} with ${JSON.stringify(c.next)} (the newer non-empty value wins)`,
      stringify(c.next),
    ),
  );
  if (outcome.status === 'merged') {
    counts.merged++;
    issues.unshift(issue(line, 'merged', null, `the same person as line ${outcome.into}: merged into contact ${outcome.id}`, null));
  } else counts[outcome.status]++;
  return issues;
}

/** Conflicts name stored columns (job_title); the report speaks in import fields (jobTitle), like its other rows. */
function reportField(field: string): string {
  return field.includes('.') ? field : field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

export function issue(line: number, kind: ImportIssue['kind'], field: string | null, message: string, value: string | null): ImportIssue {
  return { line, kind, field, message, value };
}

export function valueAt(input: Record<string, unknown>, path: string): string | null {
  const value = path
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), input);
  return stringify(value);
}

function stringify(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

import { randomUUID } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB, ImportsTable } from '../platform/db/schema.ts';
import { invalidInput, KizunaError, notFound } from '../platform/errors.ts';
import { enqueueJob, extendLease, type Job } from '../platform/jobs/jobs.ts';
import { mapHeaders } from './csv/map-headers.ts';
import { type ImportCounts, type ImportEncoding, type ImportIssue, importContacts } from './import-contacts.ts';
import type { ImportSource } from './read-records.ts';

export const IMPORT_JOB = 'import.contacts';

export interface ImportSummary {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  filename: string;
  encoding: string | null;
  mapping: Record<string, unknown> | null;
  counts: ImportCounts;
  processed: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ImportRequest {
  filename: string;
  encoding?: ImportEncoding | 'auto';
  mapping?: Record<string, string>;
}

/**
 * Accepts an upload: the bytes are stored with the import row and a job is enqueued in the same
 * transaction, so once the caller has the id the import will run even if this process dies.
 */
export async function createImport(
  db: Kysely<DB>,
  workspaceId: string,
  request: ImportRequest & ({ buffer: Buffer } | { inline: true }),
  clock: Clock,
): Promise<ImportSummary> {
  assertMappingTargets(request.mapping);
  // inline: the caller (the CLI) runs the import itself from its own file, so nothing is queued.
  const buffer = 'buffer' in request ? request.buffer : null;
  const id = randomUUID();
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('imports')
      .values({
        id,
        workspace_id: workspaceId,
        status: 'queued',
        filename: request.filename,
        source: buffer,
        encoding: request.encoding && request.encoding !== 'auto' ? request.encoding : null,
        mapping: null,
        options: JSON.stringify({ encoding: request.encoding ?? 'auto', mapping: request.mapping ?? {} }),
        error: null,
        created_at: clock.now(),
        started_at: null,
        finished_at: null,
      })
      .execute();
    if (buffer)
      await enqueueJob(tx, { kind: IMPORT_JOB, key: `import:${id}`, workspaceId, payload: { importId: id }, maxAttempts: 3 }, clock);
  });
  return getImport(db, workspaceId, id);
}

/** An unknown target field is the caller's mistake: refuse the upload now rather than fail the import later. */
function assertMappingTargets(mapping: Record<string, string> | undefined): void {
  if (!mapping) return;
  try {
    mapHeaders(Object.keys(mapping), mapping);
  } catch (error) {
    throw invalidInput([{ path: 'mapping', message: (error as Error).message }]);
  }
}

/** Runs an import (from a job, or directly from the CLI) and keeps its row and report current. */
export async function runImport(
  db: Kysely<DB>,
  {
    importId,
    source,
    job,
    onProgress,
  }: {
    importId: string;
    source?: ImportSource;
    job?: Pick<Job, 'id' | 'locked_by'>;
    onProgress?: (processed: number, counts: ImportCounts) => void;
  },
  clock: Clock,
): Promise<ImportSummary> {
  const row = await db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirst();
  if (!row) throw new KizunaError('not_found', `import ${importId} does not exist`);
  const input = source ?? (row.source ? { buffer: row.source } : undefined);
  if (!input) throw new KizunaError('invalid_input', `import ${importId} has no file to read`);
  const options = row.options as { encoding?: ImportEncoding | 'auto'; mapping?: Record<string, string> };
  // A rerun after a crash starts over; the contacts written before it are found again, not duplicated.
  await db.deleteFrom('import_issues').where('import_id', '=', importId).execute();
  await db
    .updateTable('imports')
    .set({ status: 'running', started_at: clock.now(), processed_rows: 0, error: null })
    .where('id', '=', importId)
    .execute();
  let seq = 0;
  try {
    const result = await importContacts({
      db,
      workspaceId: row.workspace_id,
      source: input,
      clock,
      encoding: options.encoding,
      mapping: options.mapping,
      // Inside each batch's transaction: the report and the progress commit with the contacts.
      onBatch: async ({ processed, counts, issues }, tx) => {
        // Chunked: one statement's parameters stay far below PostgreSQL's limit of 65,535.
        for (let i = 0; i < issues.length; i += ISSUE_CHUNK) {
          await tx
            .insertInto('import_issues')
            .values(issues.slice(i, i + ISSUE_CHUNK).map((issue) => ({ import_id: importId, seq: seq++, ...issue })))
            .execute();
        }
        await tx
          .updateTable('imports')
          .set({ processed_rows: processed, ...countColumns(counts) })
          .where('id', '=', importId)
          .execute();
        if (job) await extendLease(tx, job, 120_000, clock);
        onProgress?.(processed, counts);
      },
    });
    await db
      .updateTable('imports')
      .set({
        status: 'completed',
        source: null,
        encoding: result.encoding,
        mapping: JSON.stringify(Object.fromEntries(result.headers.map((h, i) => [h, result.mapping[i] ?? null]))),
        processed_rows: result.counts.total,
        ...countColumns(result.counts),
        finished_at: clock.now(),
      })
      .where('id', '=', importId)
      .execute();
  } catch (error) {
    if (!(error instanceof KizunaError)) throw error;
    // The file itself is unusable (no email column, bad mapping, not CSV): report it, do not retry.
    await failImport(db, importId, error.message, clock);
  }
  return getImport(db, row.workspace_id, importId);
}

const ISSUE_CHUNK = 1000;

/** Ends an import as failed; the uploaded bytes are dropped as on success, since nothing will read them again. */
async function failImport(db: Kysely<DB>, importId: string, error: string, clock: Clock): Promise<void> {
  await db
    .updateTable('imports')
    .set({ status: 'failed', source: null, error, finished_at: clock.now() })
    .where('id', '=', importId)
    .execute();
}

export async function getImport(db: Kysely<DB>, workspaceId: string, id: string): Promise<ImportSummary> {
  const row = await db
    .selectFrom('imports')
    .select(SUMMARY_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('import', id);
  return toSummary(row);
}

export async function listImports(db: Kysely<DB>, workspaceId: string, limit = 50): Promise<ImportSummary[]> {
  const rows = await db
    .selectFrom('imports')
    .select(SUMMARY_COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toSummary);
}

export async function listImportIssues(db: Kysely<DB>, workspaceId: string, id: string): Promise<ImportIssue[]> {
  await getImport(db, workspaceId, id);
  return db
    .selectFrom('import_issues')
    .select(['line', 'kind', 'field', 'message', 'value'])
    .where('import_id', '=', id)
    .orderBy('line')
    .orderBy('seq')
    .execute();
}

/** The report as CSV (UTF-8 with BOM so Excel opens Japanese text correctly). */
export function issuesToCsv(issues: ImportIssue[]): string {
  return `\uFEFF${stringify(
    issues.map((i) => [i.line, i.kind, i.field ?? '', i.message, spreadsheetSafe(i.value ?? '')]),
    { header: true, columns: ['line', 'kind', 'field', 'message', 'value'] },
  )}`;
}

/** A cell that starts like a formula (=, +, -, @) would run in Excel: the report shows it as text. */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function countColumns(c: ImportCounts) {
  return {
    total_rows: c.total,
    created_count: c.created,
    updated_count: c.updated,
    unchanged_count: c.unchanged,
    merged_count: c.merged,
    rejected_count: c.rejected,
    warning_count: c.warnings,
  };
}

// Everything but the uploaded bytes, which may be 200 MB while an import is queued or running.
const SUMMARY_COLUMNS = [
  'id',
  'status',
  'filename',
  'encoding',
  'mapping',
  'total_rows',
  'processed_rows',
  'created_count',
  'updated_count',
  'unchanged_count',
  'merged_count',
  'rejected_count',
  'warning_count',
  'error',
  'created_at',
  'started_at',
  'finished_at',
] as const;

function toSummary(row: Omit<Selectable<ImportsTable>, 'source' | 'workspace_id' | 'options'>): ImportSummary {
  return {
    id: row.id,
    status: row.status,
    filename: row.filename,
    encoding: row.encoding,
    mapping: row.mapping,
    counts: {
      total: row.total_rows,
      created: row.created_count,
      updated: row.updated_count,
      unchanged: row.unchanged_count,
      merged: row.merged_count,
      rejected: row.rejected_count,
      warnings: row.warning_count,
    },
    processed: row.processed_rows,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/** The background job that runs uploaded imports (registered by every worker process). */
export function importJobHandler({
  db,
  clock,
  logger,
}: {
  db: Kysely<DB>;
  clock: Clock;
  logger?: { info: (o: object, m: string) => void };
}) {
  return async (job: Job): Promise<void> => {
    const importId = String(job.payload.importId);
    try {
      const summary = await runImport(db, { importId, job }, clock);
      logger?.info({ import: summary.id, status: summary.status, counts: summary.counts }, 'import finished');
    } catch (error) {
      // The worker retries what may be transient; once it gives up, the import must not stay 'running' forever.
      const isFinal = job.attempts >= job.max_attempts || (error instanceof KizunaError && error.code !== 'internal');
      if (isFinal)
        await failImport(db, importId, `the import stopped after ${job.attempts} attempt(s): ${(error as Error).message}`, clock);
      throw error;
    }
  };
}

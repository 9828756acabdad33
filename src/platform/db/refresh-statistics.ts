import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import type { DB } from './schema.ts';

/** Tables smaller than this many pages (8 kB each) are planned well enough from the defaults. */
const MIN_PAGES = 8;
/** Growth since the last ANALYZE after which a table's statistics are stale (autovacuum's scale factor is 0.1 of rows). */
const GROWTH = 0.2;
/**
 * How often the worker looks for stale statistics. The look is one catalog query (~4 ms on
 * PGlite); an ANALYZE runs only for a table that grew. Every 5 minutes was too slow: after a bulk
 * enrolment of 100,000 contacts, each claim of due enrolments read and sorted every due row
 * (67 ms a batch instead of ~15) until the table was analysed.
 */
export const STATISTICS_EVERY_MS = 30_000;

/**
 * Analyses the tables that have grown since their statistics were taken (or never had any):
 * autovacuum's analyze, for PGlite, which runs none. Without it every table of an embedded
 * install is planned as if it were nearly empty, and per-contact queries scan whole tables
 * once a workspace holds a few thousand contacts. Only the tables' own size is read (no
 * statistics collector is needed); each table is analysed on its own, smallest first.
 * @returns the tables analysed, e.g. `['public.contacts', 'public.events_2026_12']`.
 */
export async function analyzeGrownTables(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL (SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS pages) s
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND s.pages >= ${MIN_PAGES}::int
      AND (c.reltuples < 0 OR s.pages > c.relpages * ${1 + GROWTH}::float8 + ${MIN_PAGES})
    ORDER BY s.pages`.execute(db);
  for (const { name } of rows) await sql`ANALYZE ${sql.raw(name)}`.execute(db);
  return rows.map((r) => r.name);
}

/**
 * A worker tick running `analyzeGrownTables` at most every `everyMs` of the clock.
 * @returns how many tables it analysed (0 between runs).
 */
export function statisticsTick(db: Kysely<DB>, clock: Clock, everyMs = STATISTICS_EVERY_MS): () => Promise<number> {
  let last: number | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (last !== undefined && now - last < everyMs) return 0;
    last = now;
    return (await analyzeGrownTables(db)).length;
  };
}

import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../clock.ts';
import { analyzeGrownTables, STATISTICS_EVERY_MS, statisticsTick } from './refresh-statistics.ts';
import { useTestDatabase } from './test-database.ts';

const database = useTestDatabase();

/** What the planner believes about a table: its row estimate (-1: never analysed). */
async function estimatedRows(table: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = ${table}::regclass`.execute(
    database.current.db,
  );
  return rows[0]!.n;
}

async function addWorkspaces(count: number): Promise<void> {
  await sql`INSERT INTO workspaces (id, name, created_at)
    SELECT gen_random_uuid(), 'statistics ' || g, now() FROM generate_series(1, ${count}) g`.execute(database.current.db);
}

describe('table statistics (autovacuum’s analyze, which PGlite does not run)', () => {
  // On PostgreSQL autovacuum could analyse the table between two steps: kept out of this file's copy.
  beforeAll(async () => {
    await sql`ALTER TABLE workspaces SET (autovacuum_enabled = false)`.execute(database.current.db);
  });

  it('analyses a table that grew, and leaves it alone until it grows again', async () => {
    const { db } = database.current;
    await addWorkspaces(5000);
    expect(await estimatedRows('workspaces')).toBeLessThan(1000);
    expect(await analyzeGrownTables(db)).toContain('public.workspaces');
    expect(await estimatedRows('workspaces')).toBeGreaterThan(4500);
    expect(await analyzeGrownTables(db)).not.toContain('public.workspaces');
    await addWorkspaces(100); // 2% more: the estimate is still good
    expect(await analyzeGrownTables(db)).not.toContain('public.workspaces');
    await addWorkspaces(5000);
    expect(await analyzeGrownTables(db)).toContain('public.workspaces');
    expect(await estimatedRows('workspaces')).toBeGreaterThan(9500);
  });

  it('the worker tick looks at most every five minutes of its clock', async () => {
    const { db } = database.current;
    const clock = createVirtualClock();
    const tick = statisticsTick(db, clock);
    await tick();
    await addWorkspaces(20_000);
    expect(await tick()).toBe(0);
    clock.advance(STATISTICS_EVERY_MS - 1000);
    expect(await tick()).toBe(0);
    expect(await estimatedRows('workspaces')).toBeLessThan(20_000);
    clock.advance(1000);
    expect(await tick()).toBeGreaterThanOrEqual(1);
    expect(await estimatedRows('workspaces')).toBeGreaterThan(20_000);
  });
});

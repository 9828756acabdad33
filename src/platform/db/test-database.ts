import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Database, type Engine, openDatabase } from './database.ts';

/** The engine this test project runs on: always 'pglite', and 'postgres' when TEST_DATABASE_URL is set. */
export function testEngine(): Engine {
  return inject('engine') === 'postgres' ? 'postgres' : 'pglite';
}

/** Opens a migrated database for one test file: a fresh PGlite from the template, or the shared server. */
export async function openTestDatabase(): Promise<Database> {
  if (testEngine() === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL');
    return openDatabase({ databaseUrl: url, poolSize: 4 });
  }
  const tarball = readFileSync(inject('pgliteTemplate'));
  return openDatabase({ dataDir: 'memory://', loadDataDir: new Blob([tarball]) });
}

/**
 * One database for the whole test file, closed after it. Tests isolate themselves by
 * creating a fresh workspace each (see createTestWorkspace), never a fresh database.
 */
export function useTestDatabase(): { readonly current: Database } {
  let database: Database | undefined;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  return {
    get current() {
      if (!database) throw new Error('the test database is opened in beforeAll; use it inside a test');
      return database;
    },
  };
}

/** Rows per table in one workspace, for tests that assert "nothing was written". */
export async function countWorkspaceRows<T extends string>(
  database: Database,
  workspaceId: string,
  tables: readonly T[],
): Promise<Record<T, number>> {
  const counts = {} as Record<T, number>;
  for (const table of tables) {
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId}`.execute(database.db);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Database, type Engine, openDatabase } from './database.ts';

/** The engine this test project runs on: always 'pglite', and 'postgres' when TEST_DATABASE_URL is set. */
export function testEngine(): Engine {
  return inject('engine') === 'postgres' ? 'postgres' : 'pglite';
}

/**
 * Opens a migrated database for one test file: a fresh PGlite from the template, or on the
 * server a database of its own copied from TEST_DATABASE_URL's (migrated once by the global
 * setup). Files run in parallel: with one shared database, a worker tick of one file (which
 * drains every workspace) would take another file's due rows.
 */
export async function openTestDatabase(): Promise<Database> {
  if (testEngine() === 'postgres') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL');
    const template = new URL(url);
    const name = `${template.pathname.slice(1)}_f${process.pid}_${randomBytes(4).toString('hex')}`;
    await maintenance(url, async (client) => {
      // Copying needs the template to have no other session: copies started at once wait their turn.
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template.pathname.slice(1)}"`);
          return;
        } catch (error) {
          if (!/being accessed by other users/.test((error as Error).message) || attempt > 100) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
        }
      }
    });
    const copy = new URL(url);
    copy.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: copy.toString(), poolSize: 4 });
    return {
      ...database,
      close: async () => {
        await database.close();
        // Not WITH (FORCE): a pool client still closing would see its session killed as an error.
        // A copy still in use after a few tries is left to the global teardown.
        await maintenance(url, async (client) => {
          for (let attempt = 0; attempt < 20; attempt++) {
            try {
              await client.query(`DROP DATABASE IF EXISTS "${name}"`);
              return;
            } catch (error) {
              if (!/being accessed by other users/.test((error as Error).message)) throw error;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        });
      },
    };
  }
  const tarball = readFileSync(inject('pgliteTemplate'));
  return openDatabase({ dataDir: 'memory://', loadDataDir: new Blob([tarball]) });
}

/** Drops the per-file copies of TEST_DATABASE_URL's database that are left (the global teardown). */
export async function dropTestDatabaseCopies(url: string): Promise<void> {
  const base = new URL(url).pathname.slice(1);
  await maintenance(url, async (client) => {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${base}\\_f%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

/** A session on the server's `postgres` database (never on the template, which must stay unused to be copied). */
async function maintenance<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const target = new URL(url);
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * One database for the whole test file, closed (on PostgreSQL: dropped) after it. Tests in a
 * file isolate themselves by creating a fresh workspace each (see createTestWorkspace).
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

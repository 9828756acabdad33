import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/platform/clock.ts';
import { type Database, type Engine, openDatabase } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { createWorkspace, type Workspace } from '../src/workspaces/workspaces.ts';

/** The database benchmarks create on a PostgreSQL server; never the one the tests use. */
export const BENCH_DATABASE = 'kizuna_bench';

/**
 * A migrated database to benchmark on: an in-memory PGlite, or `kizuna_bench` on the server
 * that `serverUrl` points at (created on first use).
 */
export async function openBenchDatabase(engine: Engine, serverUrl?: string): Promise<Database> {
  let database: Database;
  if (engine === 'pglite') database = await openDatabase({ dataDir: 'memory://' });
  else {
    if (!serverUrl) throw new Error('the postgres engine needs BENCH_DATABASE_URL or DATABASE_URL (postgres://user:password@host:port/db)');
    database = await openDatabase({ databaseUrl: await ensureBenchDatabase(serverUrl), poolSize: 2 });
  }
  await migrate(database.db);
  return database;
}

/** Empties every workspace's rows (and so every business table) and creates one new workspace. */
export async function freshWorkspace(database: Database): Promise<Workspace> {
  // score_ledger and journey_steps have no foreign key (migrations 0011, 0019): they are emptied by name.
  await sql`TRUNCATE workspaces, score_ledger, journey_steps CASCADE`.execute(database.db);
  return createWorkspace(database.db, { name: 'bench' }, systemClock);
}

async function ensureBenchDatabase(serverUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

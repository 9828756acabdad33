import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import {
  Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PostgresDialect,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import type { DB } from './schema.ts';

export type Engine = 'pglite' | 'postgres';

/** An open database: the Kysely handle plus what the few engine-specific paths (COPY, shutdown) need. */
export interface Database {
  db: Kysely<DB>;
  engine: Engine;
  /** Present on the embedded engine only. */
  pglite?: PGlite;
  /** Present on a PostgreSQL server only. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite engine is used. */
  databaseUrl?: string;
  /** PGlite data folder (`memory://` for a throw-away database). */
  dataDir?: string;
  /** A PGlite data-dir tarball to start from (tests load a migrated template this way). */
  loadDataDir?: Blob;
  poolSize?: number;
}

/**
 * Opens PGlite or PostgreSQL behind the same Kysely dialect. PGlite goes through its own
 * node-postgres adapter, so both engines use the same driver types (Dates, Buffers, arrays).
 */
export async function openDatabase({
  databaseUrl,
  dataDir = 'memory://',
  loadDataDir,
  poolSize = 10,
}: OpenDatabaseOptions): Promise<Database> {
  if (databaseUrl) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', pool, close: () => db.destroy() };
  }
  let unlock = () => {};
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const pglite = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {}).catch((error) => {
    unlock();
    throw error;
  });
  // The adapter's pool holds one connection: PGlite is single-session, so transactions serialise.
  const pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [new YieldToEventLoop()] });
  return {
    db,
    engine: 'pglite',
    pglite,
    close: async () => {
      await db.destroy();
      await pglite.close();
      unlock();
    },
  };
}

/**
 * PGlite answers a query synchronously inside a promise, so a transaction's statements follow
 * each other as microtasks and network I/O waits until the whole transaction is done. Yielding
 * after each result lets requests that arrived meanwhile be read and queued (and so grouped),
 * as they would be while a PostgreSQL server works.
 */
export class YieldToEventLoop implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    await new Promise((resolve) => setImmediate(resolve));
    return result;
  }
}

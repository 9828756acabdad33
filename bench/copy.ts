import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../src/platform/db/database.ts';

/**
 * Loads CSV text (no header) into `table` with COPY: PGlite reads it as the `/dev/blob` file,
 * a PostgreSQL server through COPY FROM STDIN on a pooled connection.
 */
export async function copyCsv(database: Database, table: string, columns: readonly string[], csv: string): Promise<void> {
  const target = `${table} (${columns.join(', ')})`;
  if (database.pglite) {
    await database.pglite.query(`COPY ${target} FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: new Blob([csv]) });
    return;
  }
  if (!database.pool) throw new Error(`expected a PGlite instance or a pg pool on the ${database.engine} database`);
  const client = await database.pool.connect();
  try {
    await pipeline(Readable.from([csv]), client.query(copyFrom(`COPY ${target} FROM STDIN WITH (FORMAT csv)`)));
  } finally {
    client.release();
  }
}

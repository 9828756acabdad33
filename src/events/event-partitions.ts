import { type Kysely, sql } from 'kysely';
import type { DB } from '../platform/db/schema.ts';

/** Months (YYYY-MM, UTC) whose partition this process knows to exist. */
export type PartitionCache = Set<string>;

export function createPartitionCache(): PartitionCache {
  return new Set();
}

/**
 * Makes sure the monthly partitions of `events` exist for these times. Created on demand (an
 * import of old events creates old months), outside the ingest transaction, once per process
 * per month; a concurrent creator is not an error.
 */
export async function ensureEventPartitions(db: Kysely<DB>, times: Date[], cache: PartitionCache): Promise<void> {
  const months = [...new Set(times.map(monthOf))].filter((m) => !cache.has(m));
  for (const month of months) {
    const [year, mm] = month.split('-').map(Number) as [number, number];
    const from = new Date(Date.UTC(year, mm - 1, 1)).toISOString();
    const to = new Date(Date.UTC(year, mm, 1)).toISOString();
    const table = `events_${month.replace('-', '_')}`;
    try {
      await sql`CREATE TABLE IF NOT EXISTS ${sql.table(table)} PARTITION OF events FOR VALUES FROM (${sql.lit(from)}) TO (${sql.lit(to)})`.execute(
        db,
      );
    } catch (error) {
      // 42P07: created meanwhile by another process; 23505: the same race seen through pg_type.
      const code = (error as { code?: string }).code;
      if (code !== '42P07' && code !== '23505') throw error;
    }
    cache.add(month);
  }
}

function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

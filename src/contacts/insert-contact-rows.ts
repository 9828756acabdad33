import { type Kysely, sql } from 'kysely';
import type { ContactRow, DB } from '../platform/db/schema.ts';

/**
 * Inserts complete contact rows as one JSON parameter expanded by `json_populate_recordset`:
 * a batch of thousands is a single value that V8 serialises natively, instead of 30 bound
 * parameters per row (or 30 arrays escaped element by element). jsonb columns take the nested
 * JSON, text[] columns a JSON array, timestamps their ISO text. Rows must be complete: a column
 * missing from the JSON becomes NULL, not its default (a new column needs a value in blankRow).
 */
export async function insertContactRows(tx: Kysely<DB>, rows: readonly ContactRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`INSERT INTO contacts SELECT * FROM json_populate_recordset(NULL::contacts, ${JSON.stringify(rows)}::json)`.execute(tx);
}

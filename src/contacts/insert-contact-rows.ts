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

/**
 * Applies per-contact partial updates in one statement: each row's JSON names only the columns
 * it changes, and a column keeps its stored value on every row whose JSON leaves it out, so
 * concurrent writers of other columns are not overwritten.
 */
export async function updateContactRows(
  tx: Kysely<DB>,
  workspaceId: string,
  updates: readonly { id: string; set: Partial<ContactRow> }[],
): Promise<void> {
  if (updates.length === 0) return;
  const columns = [...new Set(updates.flatMap((u) => Object.keys(u.set)))].filter((c) => c !== 'id' && c !== 'workspace_id');
  if (columns.length === 0) return;
  // UPDATE … FROM applies one source row per target row: several updates of one contact are
  // folded in order first, a later value of a column winning, as separate UPDATEs would do.
  const byId = new Map<string, Partial<ContactRow>>();
  for (const { id, set } of updates) byId.set(id, { ...byId.get(id), ...set });
  const docs = [...byId].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, set]) => ({ ...set, id }));
  const assignments = sql.join(
    columns.map((c) => sql`${sql.ref(c)} = CASE WHEN j.doc ? ${c} THEN r.${sql.ref(c)} ELSE c.${sql.ref(c)} END`),
  );
  await sql`
    UPDATE contacts AS c SET ${assignments}
    FROM jsonb_array_elements(${JSON.stringify(docs)}::jsonb) AS j(doc), jsonb_populate_record(NULL::contacts, j.doc) AS r
    WHERE c.workspace_id = ${workspaceId} AND c.id = r.id`.execute(tx);
}

import { parse } from 'csv-parse/sync';
import type { Kysely } from 'kysely';
import { canonicalEmail } from '../contacts/cleansing/normalize-email.ts';
import type { DB } from '../platform/db/schema.ts';
import { invalidInput } from '../platform/errors.ts';

/** The most rows one CSV enrolment takes. */
const MAX_ENROL_ROWS = 100_000;
const ID_HEADERS = ['id', 'contact_id', 'contactid'];
const EMAIL_HEADERS = ['email', 'e-mail', 'email_address', 'メールアドレス', 'メール'];

/**
 * The contacts a CSV names, by an `id` / `contact_id` column or an `email` column (a header row is
 * required; other columns are ignored). Rows naming no contact of the workspace are returned as
 * skipped, with their line.
 */
export async function contactsFromCsv(
  db: Kysely<DB>,
  workspaceId: string,
  text: string,
): Promise<{ contactIds: string[]; skipped: { line: number; value: string; reason: string }[] }> {
  let rows: string[][];
  try {
    rows = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    throw invalidInput([{ path: 'body', message: `not a readable CSV: ${(error as Error).message}` }]);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const idColumn = header.findIndex((h) => ID_HEADERS.includes(h));
  const emailColumn = header.findIndex((h) => EMAIL_HEADERS.includes(h));
  if (idColumn === -1 && emailColumn === -1)
    throw invalidInput([
      { path: 'body', message: `the CSV needs a header row with an "id" or "email" column; got ${JSON.stringify(rows[0] ?? [])}` },
    ]);
  if (rows.length - 1 > MAX_ENROL_ROWS)
    throw invalidInput([{ path: 'body', message: `at most ${MAX_ENROL_ROWS} rows per CSV; got ${rows.length - 1}` }]);
  const byId = idColumn !== -1;
  const values = rows.slice(1).map((row, i) => ({ line: i + 2, value: row[byId ? idColumn : emailColumn] ?? '' }));
  const keys = values.map((v) => (byId ? v.value.toLowerCase() : canonicalEmail(v.value)));
  const found = new Map<string, string>();
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  for (let i = 0; i < keys.length; i += 5000) {
    const chunk = [...new Set(keys.slice(i, i + 5000).filter((k) => k && (!byId || uuid.test(k))))];
    if (chunk.length === 0) continue;
    const hits = await db
      .selectFrom('contacts')
      .select(['id', 'email'])
      .where('workspace_id', '=', workspaceId)
      .where(byId ? 'id' : 'email', 'in', chunk)
      .execute();
    for (const hit of hits) found.set(byId ? hit.id : (hit.email ?? ''), hit.id);
  }
  const contactIds: string[] = [];
  const skipped: { line: number; value: string; reason: string }[] = [];
  values.forEach((v, i) => {
    const id = found.get(keys[i]!);
    if (id) contactIds.push(id);
    else skipped.push({ line: v.line, value: v.value, reason: byId ? 'no contact with this id' : 'no contact with this email' });
  });
  return { contactIds, skipped };
}

import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Kysely, sql } from 'kysely';
import { normalizeEmail } from '../contacts/cleansing/normalize-email.ts';
import { toContact, ZContact } from '../contacts/contact-schema.ts';
import { loadExternalIds } from '../contacts/contacts.ts';
import { detectEncoding } from '../imports/csv/detect-encoding.ts';
import { readRecords } from '../imports/read-records.ts';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { type FieldIssue, invalidInput, KizunaError, notFound } from '../platform/errors.ts';
import { decodeCursor, encodeCursor, type Page } from '../platform/pagination.ts';
import { parseInput } from '../platform/parse-input.ts';
import { unitOfWork } from './membership.ts';
import { segmentsReading } from './segment-uses.ts';

export const ZListInput = z
  .object({ name: z.string().trim().min(1).max(200), description: z.string().max(2000).nullable().optional() })
  .strict()
  .openapi('ListInput');
export const ZListPatch = ZListInput.partial().strict().openapi('ListPatch');

export const ZList = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    members: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('List');
export type StaticList = z.infer<typeof ZList>;

export const ZListMembersInput = z
  .object({
    contactIds: z.array(z.uuid()).max(10_000).default([]),
    emails: z.array(z.string().max(320)).max(10_000).default([]),
  })
  .strict()
  .refine((v) => v.contactIds.length + v.emails.length > 0, {
    message: 'name at least one contact in contactIds or emails',
    path: ['contactIds'],
  })
  .openapi('ListMembersInput');

export const ZListMembersResult = z
  .object({
    /** Contacts whose membership changed. */
    changed: z.number().int(),
    /** Contacts already in (adding) or not in (removing) the list. */
    unchanged: z.number().int(),
    /** CSV lines naming no contact of this workspace (CSV uploads only; JSON calls reject them instead). */
    skipped: z.array(z.object({ line: z.number().int(), value: z.string(), message: z.string() })),
  })
  .openapi('ListMembersResult');
type MembersResult = z.infer<typeof ZListMembersResult>;

export async function createList(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<StaticList> {
  const parsed = parseInput(ZListInput, input);
  const now = clock.now();
  const id = randomUUID();
  await db
    .insertInto('lists')
    .values({ id, workspace_id: workspaceId, name: parsed.name, description: parsed.description ?? null, created_at: now, updated_at: now })
    .execute();
  return getList(db, workspaceId, id);
}

export async function updateList(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<StaticList> {
  const parsed = parseInput(ZListPatch, input);
  await getList(db, workspaceId, id);
  await db
    .updateTable('lists')
    .set({ ...parsed, updated_at: clock.now() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
  return getList(db, workspaceId, id);
}

export async function getList(db: Kysely<DB>, workspaceId: string, id: string): Promise<StaticList> {
  const row = await db
    .selectFrom('lists')
    .selectAll()
    .select((eb) =>
      eb.selectFrom('list_members').select(sql<number>`count(*)::int`.as('n')).whereRef('list_id', '=', 'lists.id').as('members'),
    )
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('list', id);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    members: row.members ?? 0,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listLists(db: Kysely<DB>, workspaceId: string): Promise<StaticList[]> {
  const rows = await db
    .selectFrom('lists')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return Promise.all(rows.map((r) => getList(db, workspaceId, r.id)));
}

/** Deletes a list; refused while a segment's condition names it. */
export async function deleteList(db: Kysely<DB>, workspaceId: string, id: string): Promise<void> {
  await getList(db, workspaceId, id);
  const users = await segmentsReading(db, workspaceId, (reads) => reads.reasons.has(`list:${id}`));
  if (users.length) throw new KizunaError('conflict', `list ${id} is used by segment ${users.join(', ')}; change those first`);
  await db.deleteFrom('lists').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

/**
 * Adds or removes contacts named by id or email. Every name must be a contact of this workspace,
 * or nothing changes and the error lists each unknown one.
 */
export async function changeListMembers(
  db: Kysely<DB>,
  workspaceId: string,
  listId: string,
  action: 'add' | 'remove',
  input: unknown,
  clock: Clock,
): Promise<MembersResult> {
  const parsed = parseInput(ZListMembersInput, input);
  await getList(db, workspaceId, listId);
  const issues: FieldIssue[] = [];
  const emails = parsed.emails.map((raw, i) => {
    const normalized = normalizeEmail(raw);
    if (!normalized.ok) issues.push({ path: `emails.${i}`, message: `not an email address: ${JSON.stringify(raw)}` });
    return normalized.ok ? normalized.email : '';
  });
  const found = await resolveContacts(db, workspaceId, parsed.contactIds, emails);
  parsed.contactIds.forEach((id, i) => {
    if (!found.byId.has(id)) issues.push({ path: `contactIds.${i}`, message: `no contact ${id} in this workspace` });
  });
  emails.forEach((email, i) => {
    if (email && !found.byEmail.has(email))
      issues.push({ path: `emails.${i}`, message: `no contact with email ${email} in this workspace` });
  });
  if (issues.length) throw invalidInput(issues, 'some contacts were not found; nothing was changed');
  const ids = [...new Set([...found.byId, ...found.byEmail.values()])];
  const changed = await writeMembers(db, workspaceId, listId, action, ids, clock);
  return { changed, unchanged: ids.length - changed, skipped: [] };
}

/**
 * Adds or removes the contacts a CSV names (a column `email`, `id` or `contact_id`; UTF-8 or
 * Shift_JIS). Lines naming no contact are reported and skipped; the rest are applied together.
 */
export async function changeListMembersFromCsv(
  db: Kysely<DB>,
  workspaceId: string,
  listId: string,
  action: 'add' | 'remove',
  buffer: Buffer,
  clock: Clock,
): Promise<MembersResult> {
  await getList(db, workspaceId, listId);
  const { contactIds, skipped } = await contactsNamedInCsv(db, workspaceId, buffer);
  const changed = await writeMembers(db, workspaceId, listId, action, contactIds, clock);
  return { changed, unchanged: contactIds.length - changed, skipped };
}

/**
 * The contacts of the workspace a CSV names, by an `email` column (or `id` / `contact_id`), for
 * list uploads and journey enrolments alike: UTF-8 or Shift_JIS (what Japanese Excel saves), a
 * header row required, other columns ignored. Each contact once, in file order; lines naming no
 * contact come back as skipped with their line, in line order.
 */
export async function contactsNamedInCsv(
  db: Kysely<DB>,
  workspaceId: string,
  buffer: Buffer,
): Promise<{ contactIds: string[]; skipped: MembersResult['skipped'] }> {
  const wanted: { line: number; id?: string; email?: string; raw: string }[] = [];
  const skipped: MembersResult['skipped'] = [];
  let column: { index: number; kind: 'id' | 'email' } | undefined;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  for await (const record of readRecords({ buffer }, detectEncoding(buffer.subarray(0, 65_536)))) {
    if (wanted.length + skipped.length >= MAX_CSV_ROWS)
      throw invalidInput([{ path: 'body', message: `a CSV may name at most ${MAX_CSV_ROWS} contacts; split the file` }]);
    if (!column) {
      const headers = record.cells.map((h) =>
        h
          .trim()
          .toLowerCase()
          .replace(/^\ufeff/, ''),
      );
      const email = headers.findIndex((h) => ['email', 'e-mail', 'email_address', 'メールアドレス', 'メール'].includes(h));
      const id = headers.findIndex((h) => ['id', 'contact_id', 'contactid'].includes(h));
      if (email >= 0) column = { index: email, kind: 'email' };
      else if (id >= 0) column = { index: id, kind: 'id' };
      else
        throw invalidInput([
          { path: 'body', message: `the CSV needs a header row with an "email" or "id" column; got ${JSON.stringify(record.cells)}` },
        ]);
      continue;
    }
    const raw = (record.cells[column.index] ?? '').trim();
    if (!raw) continue;
    if (column.kind === 'id') {
      if (UUID.test(raw)) wanted.push({ line: record.line, id: raw.toLowerCase(), raw });
      else skipped.push({ line: record.line, value: raw, message: 'not a contact id (a UUID)' });
    } else {
      const normalized = normalizeEmail(raw);
      if (normalized.ok) wanted.push({ line: record.line, email: normalized.email, raw });
      else skipped.push({ line: record.line, value: raw, message: 'not an email address' });
    }
  }
  if (!column) throw invalidInput([{ path: 'body', message: 'the CSV is empty; expected a header row with an "email" or "id" column' }]);
  const found = await resolveContacts(
    db,
    workspaceId,
    wanted.flatMap((w) => (w.id ? [w.id] : [])),
    wanted.flatMap((w) => (w.email ? [w.email] : [])),
  );
  const ids = new Set<string>();
  for (const w of wanted) {
    const id = w.id ? (found.byId.has(w.id) ? w.id : undefined) : found.byEmail.get(w.email!);
    if (id) ids.add(id);
    else skipped.push({ line: w.line, value: w.raw, message: 'no such contact in this workspace' });
  }
  skipped.sort((a, b) => a.line - b.line);
  return { contactIds: [...ids], skipped };
}

async function resolveContacts(
  db: Kysely<DB>,
  workspaceId: string,
  ids: string[],
  emails: string[],
): Promise<{ byId: Set<string>; byEmail: Map<string, string> }> {
  const [idRows, emailRows] = await Promise.all([
    ids.length
      ? db
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
          .execute()
      : [],
    emails.filter(Boolean).length
      ? db
          .selectFrom('contacts')
          .select(['id', 'email'])
          .where('workspace_id', '=', workspaceId)
          .where('email', '=', sql<string>`ANY(${emails.filter(Boolean)}::text[])`)
          .execute()
      : [],
  ]);
  return { byId: new Set(idRows.map((r) => r.id)), byEmail: new Map(emailRows.map((r) => [r.email!, r.id])) };
}

async function writeMembers(
  db: Kysely<DB>,
  workspaceId: string,
  listId: string,
  action: 'add' | 'remove',
  ids: string[],
  clock: Clock,
): Promise<number> {
  if (ids.length === 0) return 0;
  return unitOfWork(db, clock, async (tx) => (await writeListMembers(tx, workspaceId, listId, action, ids, clock.now())).length);
}

/**
 * Adds or removes contacts of the workspace in the caller's unit of work, in one statement, and
 * notes each changed membership for the segments that read the list.
 * @returns the contacts whose membership changed.
 */
export async function writeListMembers(
  tx: Kysely<DB>,
  workspaceId: string,
  listId: string,
  action: 'add' | 'remove',
  ids: readonly string[],
  now: Date,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } =
    action === 'add'
      ? await sql<{ contact_id: string }>`
          INSERT INTO list_members (workspace_id, list_id, contact_id, added_at)
          SELECT ${workspaceId}::uuid, ${listId}::uuid, c.id, ${now}::timestamptz FROM contacts c WHERE c.workspace_id = ${workspaceId} AND c.id = ANY(${ids}::uuid[])
          ON CONFLICT DO NOTHING RETURNING contact_id`.execute(tx)
      : await sql<{ contact_id: string }>`
          DELETE FROM list_members WHERE list_id = ${listId} AND contact_id = ANY(${ids}::uuid[]) RETURNING contact_id`.execute(tx);
  for (const row of rows) noteContactChange(tx, workspaceId, row.contact_id, [`list:${listId}`]);
  await tx.updateTable('lists').set({ updated_at: now }).where('id', '=', listId).execute();
  return rows.map((r) => r.contact_id);
}

/** Rows per list CSV upload: one transaction applies them all, so the file is bounded. */
const MAX_CSV_ROWS = 100_000;

export const ZListMember = z.object({ addedAt: z.string(), contact: ZContact }).openapi('ListMember');

export async function listListMembers(
  db: Kysely<DB>,
  workspaceId: string,
  listId: string,
  { limit, cursor }: { limit: number; cursor?: string },
): Promise<Page<z.infer<typeof ZListMember>>> {
  await getList(db, workspaceId, listId);
  const after = decodeCursor(cursor);
  let query = db
    .selectFrom('list_members as lm')
    .innerJoin('contacts as c', 'c.id', 'lm.contact_id')
    .selectAll('c')
    .select('lm.added_at')
    .where('lm.list_id', '=', listId);
  if (after)
    query = query.where(sql<boolean>`(lm.added_at, lm.contact_id) < (${new Date(String(after.value))}::timestamptz, ${after.id}::uuid)`);
  const rows = await query
    .orderBy('lm.added_at', 'desc')
    .orderBy('lm.contact_id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const externalIds = await loadExternalIds(
    db,
    page.map((r) => r.id),
  );
  const last = page.at(-1);
  return {
    items: page.map(({ added_at, ...row }) => ({ addedAt: added_at.toISOString(), contact: toContact(row, externalIds.get(row.id)) })),
    nextCursor: rows.length > limit && last ? encodeCursor({ value: last.added_at.toISOString(), id: last.id }) : null,
  };
}

import { z } from '@hono/zod-openapi';
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { escapeLike } from '../platform/db/escape-like.ts';
import type { DB } from '../platform/db/schema.ts';
import { decodeCursor, encodeCursor, type Page, ZPageQuery } from '../platform/pagination.ts';
import { normalizeEmail } from './cleansing/normalize-email.ts';
import { normalizeText } from './cleansing/normalize-text.ts';
import { type Contact, toContact } from './contact-schema.ts';
import { loadExternalIds } from './contacts.ts';

const SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'email', '-email', 'lastName', '-lastName'] as const;

export const ZContactQuery = ZPageQuery.extend({
  email: z.string().optional().openapi({ description: 'Exact email (normalised before matching).' }),
  q: z.string().max(200).optional().openapi({ description: 'Search in name, furigana, email and company name.' }),
  tag: z.string().optional(),
  companyId: z.uuid().optional(),
  lifecycleStage: z.string().optional(),
  owner: z.string().optional(),
  industry: z.string().optional(),
  country: z.string().optional(),
  roleLevel: z.string().optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
  updatedAfter: z.iso.datetime({ offset: true }).optional(),
  sort: z.enum(SORTS).default('-createdAt'),
});
export type ContactQuery = z.infer<typeof ZContactQuery>;

const SORT_COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at', email: 'email', lastName: 'last_name' } as const;

/** Searches, filters, sorts and pages a workspace's contacts with keyset cursors. */
export async function listContacts(db: Kysely<DB>, workspaceId: string, query: ContactQuery): Promise<Page<Contact>> {
  const descending = query.sort.startsWith('-');
  const key = query.sort.replace('-', '') as keyof typeof SORT_COLUMNS;
  const column = SORT_COLUMNS[key];
  const isTime = key === 'createdAt' || key === 'updatedAt';
  const sortExpr = isTime ? sql.ref(`contacts.${column}`) : sql`coalesce(contacts.${sql.ref(column)}, '')`;

  let q = db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId);
  if (query.email !== undefined) {
    const normalized = normalizeEmail(query.email);
    q = q.where('email', '=', normalized.ok ? normalized.email : (normalizeText(query.email) ?? '').toLowerCase());
  }
  if (query.q) {
    const pattern = `%${escapeLike(normalizeText(query.q) ?? '')}%`;
    q = q.where((eb) =>
      eb.or(
        (['email', 'first_name', 'last_name', 'first_name_kana', 'last_name_kana', 'company_name'] as const)
          .map((c) => eb(c, 'ilike', pattern))
          .concat([
            eb(sql<string>`concat_ws(' ', last_name, first_name)`, 'ilike', pattern),
            eb(sql<string>`concat_ws(' ', first_name, last_name)`, 'ilike', pattern),
          ]),
      ),
    );
  }
  if (query.tag) q = q.where(sql<SqlBool>`tags @> ARRAY[${query.tag}]::text[]`);
  if (query.companyId) q = q.where('company_id', '=', query.companyId);
  if (query.lifecycleStage) q = q.where('lifecycle_stage', '=', query.lifecycleStage);
  if (query.owner) q = q.where('owner', '=', query.owner);
  if (query.industry) q = q.where('industry', '=', query.industry);
  if (query.country) q = q.where('country', '=', query.country.toUpperCase());
  if (query.roleLevel) q = q.where('role_level', '=', query.roleLevel);
  if (query.createdAfter) q = q.where('created_at', '>=', new Date(query.createdAfter));
  if (query.createdBefore) q = q.where('created_at', '<', new Date(query.createdBefore));
  if (query.updatedAfter) q = q.where('updated_at', '>=', new Date(query.updatedAfter));
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    const value = isTime ? new Date(String(cursor.value)) : String(cursor.value ?? '');
    const op = descending ? sql.raw('<') : sql.raw('>');
    q = q.where(sql<SqlBool>`(${sortExpr}, contacts.id) ${op} (${value}, ${cursor.id}::uuid)` as Expression<SqlBool>);
  }
  const direction = descending ? sql.raw('desc') : sql.raw('asc');
  const rows = await q
    .orderBy(sql`${sortExpr} ${direction}`)
    .orderBy(sql`contacts.id ${direction}`)
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const externalIds = await loadExternalIds(
    db,
    page.map((r) => r.id),
  );
  const last = page.at(-1);
  const hasMore = rows.length > query.limit;
  return {
    items: page.map((row) => toContact(row, externalIds.get(row.id))),
    nextCursor:
      hasMore && last
        ? encodeCursor({
            value: isTime ? (last[column as 'created_at'] as Date).toISOString() : ((last[column as 'email'] as string | null) ?? ''),
            id: last.id,
          })
        : null,
  };
}

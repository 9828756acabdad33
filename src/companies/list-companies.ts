import { z } from '@hono/zod-openapi';
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { normalizeText } from '../contacts/cleansing/normalize-text.ts';
import { escapeLike } from '../platform/db/escape-like.ts';
import type { DB } from '../platform/db/schema.ts';
import { decodeCursor, encodeCursor, type Page, ZPageQuery } from '../platform/pagination.ts';
import { type Company, toCompany } from './company-schema.ts';
import { normalizeDomain } from './normalize-domain.ts';

export const ZCompanyQuery = ZPageQuery.extend({
  q: z.string().max(200).optional().openapi({ description: 'Search in name and domain.' }),
  domain: z.string().optional(),
  industry: z.string().optional(),
  sort: z.enum(['createdAt', '-createdAt', 'name', '-name']).default('-createdAt'),
});
export type CompanyQuery = z.infer<typeof ZCompanyQuery>;

/** Searches, filters, sorts and pages a workspace's companies with keyset cursors. */
export async function listCompanies(db: Kysely<DB>, workspaceId: string, query: CompanyQuery): Promise<Page<Company>> {
  const descending = query.sort.startsWith('-');
  const byName = query.sort.endsWith('name');
  const sortExpr = byName ? sql.ref('companies.name') : sql.ref('companies.created_at');
  let q = db.selectFrom('companies').selectAll().where('workspace_id', '=', workspaceId);
  if (query.q) {
    const pattern = `%${escapeLike(normalizeText(query.q) ?? '')}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('domain', 'ilike', pattern)]));
  }
  if (query.domain) q = q.where('domain', '=', normalizeDomain(query.domain) ?? query.domain);
  if (query.industry) q = q.where('industry', '=', query.industry);
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    const value = byName ? String(cursor.value) : new Date(String(cursor.value));
    const op = sql.raw(descending ? '<' : '>');
    q = q.where(sql<SqlBool>`(${sortExpr}, companies.id) ${op} (${value}, ${cursor.id}::uuid)` as Expression<SqlBool>);
  }
  const direction = sql.raw(descending ? 'desc' : 'asc');
  const rows = await q
    .orderBy(sql`${sortExpr} ${direction}`)
    .orderBy(sql`companies.id ${direction}`)
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toCompany),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor({ value: byName ? last.name : last.created_at.toISOString(), id: last.id }) : null,
  };
}

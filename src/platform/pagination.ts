import { z } from '@hono/zod-openapi';
import { type SelectQueryBuilder, sql } from 'kysely';
import { invalidInput } from './errors.ts';

/** Keyset pagination: a cursor is the sort value and id of the last row seen, opaque to clients. */
export interface Cursor {
  value: string | number | null;
  id: string;
}

export const ZPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ description: 'Rows per page (1–500).' }),
  cursor: z.string().optional().openapi({ description: 'The nextCursor of the previous page.' }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.value, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && UUID.test(parsed[1])) {
      const [value, id] = parsed as [unknown, string];
      if (value === null || typeof value === 'string' || typeof value === 'number') return { value, id };
    }
  } catch {
    // fall through to the error below
  }
  throw invalidInput([{ path: 'cursor', message: 'expected the nextCursor value from a previous page' }]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

/**
 * A page of rows newest first by (created_at, id), the listing order of logs such as deliveries,
 * suppressions and opt-outs: the keyset condition, order, limit and next cursor in one place.
 * @example const page = await newestFirst(select, { limit: 50, cursor }, toDelivery)
 */
export async function newestFirst<D, T extends keyof D, R extends { created_at: Date; id: string }, Out>(
  select: SelectQueryBuilder<D, T, R>,
  { limit, cursor }: { limit: number; cursor?: string },
  map: (row: R) => Out,
): Promise<Page<Out>> {
  const after = decodeCursor(cursor);
  const scoped = after ? select.where(sql<boolean>`(created_at, id) < (${new Date(String(after.value))}, ${after.id})`) : select;
  const rows = await scoped
    .orderBy(sql`created_at`, 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor({ value: last.created_at.toISOString(), id: last.id }) : null,
  };
}

import { z } from '@hono/zod-openapi';
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

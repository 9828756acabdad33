import type { Insertable } from 'kysely';
import type { ContactRow, ContactsTable } from '../platform/db/schema.ts';

const JSON_COLUMNS = ['custom', 'traits', 'first_touch', 'last_touch'] as const;

/** A contact row (or part of one) as the driver must receive it: jsonb columns as JSON text. */
export function contactColumns<T extends Partial<ContactRow>>(row: T): Insertable<ContactsTable> {
  const out: Record<string, unknown> = { ...row };
  for (const key of JSON_COLUMNS) {
    if (out[key] !== undefined && out[key] !== null) out[key] = JSON.stringify(out[key]);
  }
  return out as unknown as Insertable<ContactsTable>;
}

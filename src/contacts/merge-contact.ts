import type { ContactRow } from '../platform/db/schema.ts';
import { companyNameKey } from './cleansing/company-name.ts';
import type { CustomValue } from './custom-fields.ts';
import type { ContactFields, PreparedContact } from './prepare-contact.ts';

export type WriteMode = 'upsert' | 'patch';

export interface FieldConflict {
  field: string;
  previous: unknown;
  next: unknown;
}

export interface MergeResult {
  /** Columns to write; empty when the write changes nothing. */
  set: ContactFields & { email?: string | null; tags?: string[]; custom?: Record<string, CustomValue>; traits?: Record<string, unknown> };
  /** Upsert only: non-empty values that replaced a different non-empty value. */
  conflicts: FieldConflict[];
}

type Existing = Pick<ContactRow, 'email' | 'tags' | 'custom'> & Partial<ContactRow>;

/**
 * Decides what a write changes on an existing contact (pure).
 * upsert: a newer non-empty value wins per field, empty values never erase, tags are united,
 * replaced values are reported as conflicts. patch: given values are written, null clears.
 */
export function mergeContact(existing: Existing | undefined, write: PreparedContact, mode: WriteMode): MergeResult {
  if (!existing) return { set: freshContact(write), conflicts: [] };
  const set: MergeResult['set'] = {};
  const conflicts: FieldConflict[] = [];
  const consider = (field: string, previous: unknown, next: unknown, assign: () => void) => {
    if (mode === 'upsert' && isEmpty(next)) return;
    if (sameValue(previous, next)) return;
    // 株式会社サンプル and サンプル株式会社 name one company: a different spelling is no news.
    if (
      mode === 'upsert' &&
      field === 'company_name' &&
      typeof previous === 'string' &&
      typeof next === 'string' &&
      companyNameKey(previous) === companyNameKey(next)
    )
      return;
    if (mode === 'upsert' && !isEmpty(previous)) conflicts.push({ field, previous, next });
    assign();
  };
  if (write.email !== undefined) consider('email', existing?.email ?? null, write.email, () => (set.email = write.email));
  for (const [column, next] of Object.entries(write.fields) as [keyof ContactFields, unknown][]) {
    // The name order follows the name; it is never a conflict of its own.
    if (column === 'name_order') {
      if (existing.name_order !== next) Object.assign(set, { name_order: next });
      continue;
    }
    consider(column, existing?.[column as keyof Existing] ?? null, next, () => Object.assign(set, { [column]: next }));
  }
  if (write.tags !== undefined) {
    const current = existing?.tags ?? [];
    const tags = mode === 'upsert' ? [...new Set([...current, ...write.tags])] : write.tags;
    if (!sameValue(current, tags)) set.tags = tags;
  }
  const customKeys = Object.keys(write.custom);
  if (customKeys.length) {
    const current = existing?.custom ?? {};
    const custom: Record<string, unknown> = { ...current };
    for (const key of customKeys) {
      const next = write.custom[key];
      if (next === null) {
        if (mode === 'patch') delete custom[key];
        continue;
      }
      if (sameValue(current[key], next)) continue;
      if (mode === 'upsert' && !isEmpty(current[key])) conflicts.push({ field: `custom.${key}`, previous: current[key], next });
      custom[key] = next;
    }
    if (!sameValue(current, custom)) set.custom = custom as Record<string, CustomValue>;
  }
  if (write.traits && Object.keys(write.traits).length) {
    // The raw bag keeps the latest value a client sent for each trait.
    const traits = { ...(existing.traits ?? {}), ...write.traits };
    if (!sameValue(existing.traits ?? {}, traits)) set.traits = traits;
  }
  return { set, conflicts };
}

// A new contact: every non-empty value as given, nothing to compare (the import's common case).
function freshContact(write: PreparedContact): MergeResult['set'] {
  const set: MergeResult['set'] = {};
  if (write.email) set.email = write.email;
  const fields = write.fields as Record<string, unknown>;
  for (const column in fields) if (!isEmpty(fields[column])) (set as Record<string, unknown>)[column] = fields[column];
  if (write.tags?.length) set.tags = write.tags;
  const custom = Object.entries(write.custom).filter(([, v]) => v !== null);
  if (custom.length) set.custom = Object.fromEntries(custom);
  if (write.traits && Object.keys(write.traits).length) set.traits = write.traits;
  return set;
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/** Value equality for column values: Dates by time, arrays in order, objects by content in any key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, i) => sameValue(value, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    // jsonb hands objects back with its own key order, so keys are compared as a set.
    const keys = Object.keys(a);
    const other = b as Record<string, unknown>;
    return (
      keys.length === Object.keys(other).length &&
      keys.every((k) => Object.hasOwn(other, k) && sameValue((a as Record<string, unknown>)[k], other[k]))
    );
  }
  return false;
}

import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { type FieldIssue, invalidInput, KizunaError } from '../platform/errors.ts';
import { parseInput } from '../platform/parse-input.ts';
import { customFieldUsers } from './custom-field-uses.ts';

export const CUSTOM_FIELD_TYPES = ['text', 'number', 'boolean', 'date', 'enum', 'multi_enum'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
export type CustomFieldEntity = 'contact' | 'company';

export const ZCustomFieldInput = z
  .object({
    entity: z.enum(['contact', 'company']).default('contact'),
    key: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, 'expected a snake_case key: a lower-case letter, then letters, digits or _ (at most 63)'),
    label: z.string().trim().min(1).max(200),
    type: z.enum(CUSTOM_FIELD_TYPES),
    options: z.array(z.string().trim().min(1)).max(500).default([]),
  })
  .superRefine((value, ctx) => {
    const needsOptions = value.type === 'enum' || value.type === 'multi_enum';
    if (needsOptions && value.options.length === 0)
      ctx.addIssue({ code: 'custom', path: ['options'], message: `a ${value.type} field needs at least one option` });
    if (!needsOptions && value.options.length > 0)
      ctx.addIssue({ code: 'custom', path: ['options'], message: `options are only allowed for enum and multi_enum fields` });
  })
  .openapi('CustomFieldInput');
export type CustomFieldInput = z.input<typeof ZCustomFieldInput>;

export interface CustomField {
  entity: CustomFieldEntity;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  createdAt: Date;
}

export type CustomValue = string | number | boolean | string[] | null;

/** Declares a custom field; its key must be new for the entity. */
export async function defineCustomField(db: Kysely<DB>, workspaceId: string, input: CustomFieldInput, clock: Clock): Promise<CustomField> {
  const parsed = parseInput(ZCustomFieldInput, input);
  const row = await db
    .insertInto('custom_fields')
    .values({ workspace_id: workspaceId, ...parsed, created_at: clock.now() })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new KizunaError('conflict', `custom field ${parsed.entity}.${parsed.key} already exists`, {
      issues: [{ path: 'key', message: 'already exists' }],
    });
  return toCustomField(row);
}

export async function listCustomFields(db: Kysely<DB>, workspaceId: string, entity?: CustomFieldEntity): Promise<CustomField[]> {
  let query = db.selectFrom('custom_fields').selectAll().where('workspace_id', '=', workspaceId);
  if (entity) query = query.where('entity', '=', entity);
  const rows = await query.orderBy('entity').orderBy('key').execute();
  return rows.map(toCustomField);
}

export async function deleteCustomField(db: Kysely<DB>, workspaceId: string, entity: CustomFieldEntity, key: string): Promise<void> {
  // What reads the field would stop working (ingest, for scoring and stage rules): it stays until they stop using it.
  const path = entity === 'company' ? `company.custom.${key}` : `custom.${key}`;
  const users = await customFieldUsers(db, workspaceId, path);
  if (users.length) throw new KizunaError('conflict', `custom field ${path} is used by ${users.join(', ')}; change those first`);
  const result = await db
    .deleteFrom('custom_fields')
    .where('workspace_id', '=', workspaceId)
    .where('entity', '=', entity)
    .where('key', '=', key)
    .executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new KizunaError('not_found', `custom field ${entity}.${key} was not found in this workspace`);
}

/**
 * Validates and coerces values against the declared fields (pure). Unknown keys and wrong
 * types become field issues under `custom.<key>`; null clears a value.
 */
export function validateCustomValues(
  fields: readonly CustomField[],
  values: Record<string, unknown>,
  { coerceStrings = false, pathPrefix = 'custom' }: { coerceStrings?: boolean; pathPrefix?: string } = {},
): { values: Record<string, CustomValue>; issues: FieldIssue[] } {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const out: Record<string, CustomValue> = {};
  const issues: FieldIssue[] = [];
  for (const [key, raw] of Object.entries(values)) {
    const path = `${pathPrefix}.${key}`;
    const field = byKey.get(key);
    if (!field) {
      issues.push({ path, message: `unknown custom field "${key}": declare it first (POST /api/custom-fields)` });
      continue;
    }
    if (raw === null || raw === '') {
      out[key] = null;
      continue;
    }
    const result = coerce(field, raw, coerceStrings);
    if (typeof result === 'object' && result !== null && 'error' in result) issues.push({ path, message: result.error });
    else out[key] = result;
  }
  return { values: out, issues };
}

function coerce(field: CustomField, raw: unknown, fromText: boolean): CustomValue | { error: string } {
  switch (field.type) {
    case 'text':
      return typeof raw === 'string' ? raw : fromText ? String(raw) : { error: `expected text, got ${typeof raw}` };
    case 'number': {
      const n = typeof raw === 'number' ? raw : fromText && typeof raw === 'string' ? Number(raw.replace(/,/g, '')) : Number.NaN;
      return Number.isFinite(n) ? n : { error: `expected a number, got ${JSON.stringify(raw)}` };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (fromText && typeof raw === 'string') {
        const t = raw.trim().toLowerCase();
        if (['true', 'yes', 'y', '1', 'はい', '有'].includes(t)) return true;
        if (['false', 'no', 'n', '0', 'いいえ', '無'].includes(t)) return false;
      }
      return { error: `expected true or false, got ${JSON.stringify(raw)}` };
    }
    case 'date': {
      const text = typeof raw === 'string' ? raw.replace(/\//g, '-') : '';
      const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
      // Date.parse accepts 2024-02-31 (rolling into March); a calendar date must exist as written.
      const real = day && new Date(Date.UTC(+day[1]!, +day[2]! - 1, +day[3]!)).toISOString().startsWith(day[0]!);
      if (real && !Number.isNaN(Date.parse(text))) return text;
      return { error: `expected a date as YYYY-MM-DD (or an ISO 8601 timestamp), got ${JSON.stringify(raw)}` };
    }
    case 'enum':
      return typeof raw === 'string' && field.options.includes(raw)
        ? raw
        : { error: `expected one of ${field.options.join(', ')}; got ${JSON.stringify(raw)}` };
    case 'multi_enum': {
      const list = Array.isArray(raw)
        ? raw
        : fromText && typeof raw === 'string'
          ? raw
              .split(/[;,、]/)
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      if (!list) return { error: `expected a list of ${field.options.join(', ')}` };
      const bad = list.filter((v) => typeof v !== 'string' || !field.options.includes(v));
      return bad.length
        ? { error: `expected values among ${field.options.join(', ')}; not allowed: ${bad.map((b) => JSON.stringify(b)).join(', ')}` }
        : (list as string[]);
    }
  }
}

function toCustomField(row: {
  entity: CustomFieldEntity;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  created_at: Date;
}): CustomField {
  return { entity: row.entity, key: row.key, label: row.label, type: row.type, options: row.options, createdAt: row.created_at };
}

/** Throws invalid_input when issues were found; used by the write paths that must change nothing on bad input. */
export function assertNoIssues(issues: FieldIssue[]): void {
  if (issues.length) throw invalidInput(issues);
}

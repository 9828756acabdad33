import { type RawBuilder, sql } from 'kysely';
import { ROLE_LEVELS } from '../contacts/cleansing/infer-role-level.ts';
import type { CustomField } from '../contacts/custom-fields.ts';
import type { FieldOperator } from './condition.ts';

export type FieldType = 'text' | 'email' | 'enum' | 'number' | 'boolean' | 'timestamp' | 'date' | 'tags' | 'multi_enum';

/** A field a condition may name: its type, its SQL over `c` (contacts) and `co` (companies), and the change that affects it. */
export interface FieldSpec {
  path: string;
  type: FieldType;
  /** Allowed values of an enum; for an ordered enum, in order (gt/lt compare positions). */
  options?: readonly string[];
  ordered?: boolean;
  sql: RawBuilder<unknown>;
  /** The contact-change reason that may change this field's value (see ContactChanges). */
  reason: string;
}

export const OPERATORS_BY_TYPE: Record<FieldType, readonly FieldOperator[]> = {
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'is_set', 'is_empty'],
  email: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'is_set', 'is_empty'],
  enum: ['eq', 'neq', 'in', 'not_in', 'is_set', 'is_empty'],
  number: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'is_set', 'is_empty'],
  boolean: ['eq', 'neq', 'is_set', 'is_empty'],
  timestamp: [
    'before',
    'after',
    'on',
    'between',
    'within_last_days',
    'within_next_days',
    'more_than_days_ago',
    'anniversary_within_days',
    'is_set',
    'is_empty',
  ],
  date: [
    'before',
    'after',
    'on',
    'between',
    'within_last_days',
    'within_next_days',
    'more_than_days_ago',
    'anniversary_within_days',
    'is_set',
    'is_empty',
  ],
  tags: ['contains', 'not_contains', 'contains_any', 'contains_all', 'is_set', 'is_empty'],
  multi_enum: ['contains', 'not_contains', 'contains_any', 'contains_all', 'is_set', 'is_empty'],
};
const ORDERED_EXTRA: readonly FieldOperator[] = ['gt', 'gte', 'lt', 'lte', 'between'];

export function operatorsFor(spec: FieldSpec): readonly FieldOperator[] {
  return spec.ordered ? [...OPERATORS_BY_TYPE[spec.type], ...ORDERED_EXTRA] : OPERATORS_BY_TYPE[spec.type];
}

const column = (name: string, type: FieldType, extra: Partial<FieldSpec> = {}): [string, Omit<FieldSpec, 'path'>] => [
  name,
  { type, sql: sql.ref(`c.${snake(name)}`), reason: `field:${snake(name)}`, ...extra },
];
const touch = (which: 'first' | 'last', key: string): [string, Omit<FieldSpec, 'path'>] => [
  `${which}Touch.${key}`,
  { type: 'text', sql: sql`(c.${sql.ref(`${which}_touch`)} ->> ${sql.lit(key)})`, reason: `field:${which}_touch` },
];
const companyColumn = (name: string, type: FieldType): [string, Omit<FieldSpec, 'path'>] => [
  `company.${name}`,
  { type, sql: sql.ref(`co.${snake(name)}`), reason: 'company' },
];

const BUILT_IN = new Map<string, Omit<FieldSpec, 'path'>>([
  column('email', 'email'),
  column('firstName', 'text'),
  column('lastName', 'text'),
  column('firstNameKana', 'text'),
  column('lastNameKana', 'text'),
  column('nameOrder', 'enum', { options: ['given_first', 'family_first'] }),
  column('phone', 'text'),
  column('jobTitle', 'text'),
  column('roleLevel', 'enum', { options: ROLE_LEVELS, ordered: true }),
  column('department', 'text'),
  column('industry', 'text'),
  column('companyName', 'text'),
  column('employeeCount', 'number'),
  column('country', 'text'),
  column('region', 'text'),
  column('timezone', 'text'),
  column('locale', 'text'),
  column('owner', 'text'),
  column('tags', 'tags'),
  column('lifecycleStage', 'text'),
  column('createdAt', 'timestamp'),
  column('updatedAt', 'timestamp'),
  column('firstSeenAt', 'timestamp'),
  column('lastSeenAt', 'timestamp'),
  ...(['source', 'medium', 'campaign', 'term', 'content', 'referrer'] as const).flatMap((key) => [touch('first', key), touch('last', key)]),
  companyColumn('name', 'text'),
  companyColumn('domain', 'text'),
  companyColumn('industry', 'text'),
  companyColumn('employeeCount', 'number'),
  companyColumn('revenueBand', 'text'),
  companyColumn('country', 'text'),
]);

/** Every field a condition can name in a workspace: the built-in ones and the declared custom fields. */
export class FieldCatalog {
  constructor(private readonly customFields: readonly CustomField[]) {}

  get(path: string): FieldSpec | undefined {
    const builtIn = BUILT_IN.get(path);
    if (builtIn) return { path, ...builtIn };
    const custom = /^(company\.)?custom\.([a-z][a-z0-9_]{0,62})$/.exec(path);
    if (!custom) return undefined;
    const entity = custom[1] ? 'company' : 'contact';
    const field = this.customFields.find((f) => f.entity === entity && f.key === custom[2]);
    if (!field) return undefined;
    const bag = entity === 'company' ? sql.ref('co.custom') : sql.ref('c.custom');
    const key = sql.lit(field.key);
    const reason = entity === 'company' ? 'company' : 'field:custom';
    switch (field.type) {
      case 'number':
        return {
          path,
          type: 'number',
          reason,
          sql: sql`(CASE WHEN jsonb_typeof(${bag} -> ${key}) = 'number' THEN (${bag} ->> ${key})::numeric END)`,
        };
      case 'boolean':
        return {
          path,
          type: 'boolean',
          reason,
          sql: sql`(CASE WHEN jsonb_typeof(${bag} -> ${key}) = 'boolean' THEN (${bag} ->> ${key})::boolean END)`,
        };
      case 'date':
        // Stored as written (YYYY-MM-DD, or a timestamp whose first ten characters are its date).
        return {
          path,
          type: 'date',
          reason,
          sql: sql`(CASE WHEN ${bag} ->> ${key} ~ '^\\d{4}-\\d{2}-\\d{2}' THEN left(${bag} ->> ${key}, 10)::date END)`,
        };
      case 'multi_enum':
        return {
          path,
          type: 'multi_enum',
          options: field.options,
          reason,
          sql: sql`(CASE WHEN jsonb_typeof(${bag} -> ${key}) = 'array' THEN ${bag} -> ${key} END)`,
        };
      case 'enum':
        return { path, type: 'enum', options: field.options, reason, sql: sql`(${bag} ->> ${key})` };
      default:
        return { path, type: 'text', reason, sql: sql`(${bag} ->> ${key})` };
    }
  }

  /** The field names a client can use, for error messages and the API's field listing. */
  names(): string[] {
    return [...BUILT_IN.keys(), ...this.customFields.map((f) => (f.entity === 'company' ? `company.custom.${f.key}` : `custom.${f.key}`))];
  }
}

/** The contacts/companies column of a built-in field's API name. @example snake('jobTitle') // 'job_title' */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

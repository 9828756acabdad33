import { type Kysely, sql } from 'kysely';
import type { ContactRow, DB } from '../platform/db/schema.ts';

// Every column with the array type its values travel in; jsonb and text[] travel as text.
const COLUMNS: readonly [keyof ContactRow, string, string?][] = [
  ['id', 'uuid[]'],
  ['workspace_id', 'uuid[]'],
  ['email', 'text[]'],
  ['first_name', 'text[]'],
  ['last_name', 'text[]'],
  ['first_name_kana', 'text[]'],
  ['last_name_kana', 'text[]'],
  ['name_order', 'text[]'],
  ['phone', 'text[]'],
  ['job_title', 'text[]'],
  ['role_level', 'text[]'],
  ['department', 'text[]'],
  ['industry', 'text[]'],
  ['company_id', 'uuid[]'],
  ['company_name', 'text[]'],
  ['employee_count', 'int[]'],
  ['country', 'text[]'],
  ['region', 'text[]'],
  ['timezone', 'text[]'],
  ['locale', 'text[]'],
  ['owner', 'text[]'],
  ['tags', 'text[]', 'text[]'],
  ['lifecycle_stage', 'text[]'],
  ['first_touch', 'text[]', 'jsonb'],
  ['last_touch', 'text[]', 'jsonb'],
  ['first_seen_at', 'timestamptz[]'],
  ['last_seen_at', 'timestamptz[]'],
  ['custom', 'text[]', 'jsonb'],
  ['created_at', 'timestamptz[]'],
  ['updated_at', 'timestamptz[]'],
];

/**
 * Inserts complete contact rows with one parameter per column (`unnest` of arrays): a batch of
 * thousands costs 30 parameters instead of 30 per row, and PostgreSQL plans it once.
 */
export async function insertContactRows(tx: Kysely<DB>, rows: readonly ContactRow[]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = COLUMNS.map(([column, , cast]) => rows.map((row) => toParameter(row[column], cast)));
  const names = sql.join(COLUMNS.map(([column]) => sql.ref(column)));
  const unnested = sql.join(COLUMNS.map(([, type], i) => sql`${arrays[i]}::${sql.raw(type)}`));
  const selected = sql.join(COLUMNS.map(([column, , cast]) => (cast ? sql`${sql.ref(`u.${column}`)}::${sql.raw(cast)}` : sql.ref(`u.${column}`))));
  await sql`INSERT INTO contacts (${names}) SELECT ${selected} FROM unnest(${unnested}) AS u(${names})`.execute(tx);
}

function toParameter(value: unknown, cast: string | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (cast === 'jsonb') return JSON.stringify(value);
  if (cast === 'text[]') return arrayLiteral(value as string[]);
  return value;
}

/** A PostgreSQL array literal, every element quoted: {"a","b \"c\""}. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

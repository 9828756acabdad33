import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB, FormsTable } from '../platform/db/schema.ts';
import { notFound } from '../platform/errors.ts';
import { parseInput } from '../platform/parse-input.ts';
import { type Form, type FormDefinition, ZFormDefinition } from './form-schema.ts';

/** Saves a new form definition; it is live at /f/{id} at once. */
export async function createForm(db: Kysely<DB>, workspaceId: string, input: unknown, clock: Clock): Promise<Form> {
  const definition = parseInput(ZFormDefinition, input);
  const now = clock.now();
  const row = await db
    .insertInto('forms')
    .values({
      id: randomUUID(),
      workspace_id: workspaceId,
      name: definition.name,
      definition: JSON.stringify(definition),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toForm(row);
}

/** Replaces a form's definition (submissions keep the data they were made with). */
export async function updateForm(db: Kysely<DB>, workspaceId: string, id: string, input: unknown, clock: Clock): Promise<Form> {
  const definition = parseInput(ZFormDefinition, input);
  const row = await db
    .updateTable('forms')
    .set({ name: definition.name, definition: JSON.stringify(definition), updated_at: clock.now() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('form', id);
  return toForm(row);
}

export async function getForm(db: Kysely<DB>, workspaceId: string, id: string): Promise<Form> {
  const row = await db.selectFrom('forms').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('form', id);
  return toForm(row);
}

export async function listForms(db: Kysely<DB>, workspaceId: string): Promise<Form[]> {
  const rows = await db
    .selectFrom('forms')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toForm);
}

export async function deleteForm(db: Kysely<DB>, workspaceId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('forms').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw notFound('form', id);
}

/** A published form by id alone, for the public pages (the id is the form's public address). */
export async function findPublicForm(db: Kysely<DB>, id: string): Promise<{ workspaceId: string; form: Form } | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const row = await db.selectFrom('forms').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { workspaceId: row.workspace_id, form: toForm(row) } : undefined;
}

function toForm(row: Selectable<FormsTable>): Form {
  return {
    id: row.id,
    definition: row.definition as unknown as FormDefinition,
    hostedUrl: `/f/${row.id}`,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

import type { Kysely } from 'kysely';
import { logStageWrites } from '../lifecycle/lifecycle.ts';
import type { Clock } from '../platform/clock.ts';
import { fieldReasons, noteContactChange } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { contactColumns } from './contact-columns.ts';
import { mergeContact } from './merge-contact.ts';
import type { PreparedContact } from './prepare-contact.ts';

/**
 * Applies a write to a contact already identified by id (upsert semantics: a newer non-empty
 * value wins, empty values never erase). For writes that carry no email or external id to
 * match by, such as traits of a visitor known only by a cookie.
 */
export async function applyContactWrite(
  tx: Kysely<DB>,
  workspaceId: string,
  contactId: string,
  write: PreparedContact,
  clock: Clock,
): Promise<void> {
  const row = await tx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return;
  const { set } = mergeContact(row, write, 'upsert');
  if (Object.keys(set).length === 0) return;
  await tx
    .updateTable('contacts')
    .set(contactColumns({ ...set, updated_at: clock.now() }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute();
  noteContactChange(tx, workspaceId, contactId, fieldReasons(Object.keys(set)));
  if ('lifecycle_stage' in set)
    await logStageWrites(tx, workspaceId, [{ contactId, from: row.lifecycle_stage, to: set.lifecycle_stage ?? null }], 'api', clock.now());
}

import type { Kysely } from 'kysely';
import type { DB } from '../platform/db/schema.ts';

/**
 * Every stored row an import can touch in one workspace, in a stable order, for tests that
 * prove a second import changed nothing (timestamps included).
 */
export async function snapshotWorkspace(db: Kysely<DB>, workspaceId: string) {
  return {
    contacts: await db.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    companies: await db.selectFrom('companies').selectAll().where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    externalIds: await db
      .selectFrom('contact_external_ids')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('source')
      .orderBy('external_id')
      .execute(),
  };
}

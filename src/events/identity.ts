import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import { noteContactChange, noteEventsAdded } from '../platform/db/contact-changes.ts';
import type { DB } from '../platform/db/schema.ts';
import { createEventBatch } from './event-batch.ts';
import { isVisit, touchFromContext } from './touch.ts';

/** The external-id source under which a tracking client's userId is stored. */
export const USER_ID_SOURCE = 'user_id';

/** The contact a tracking userId belongs to, if any. */
export async function contactByUserId(tx: Kysely<DB>, workspaceId: string, userId: string | undefined): Promise<string | undefined> {
  if (!userId) return undefined;
  const row = await tx
    .selectFrom('contact_external_ids')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('source', '=', USER_ID_SOURCE)
    .where('external_id', '=', userId)
    .executeTakeFirst();
  return row?.contact_id;
}

export async function contactByAnonymousId(
  tx: Kysely<DB>,
  workspaceId: string,
  anonymousId: string | undefined,
): Promise<string | undefined> {
  if (!anonymousId) return undefined;
  const row = await tx
    .selectFrom('contact_anonymous_ids')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('anonymous_id', '=', anonymousId)
    .executeTakeFirst();
  return row?.contact_id;
}

export async function contactByEmail(tx: Kysely<DB>, workspaceId: string, email: string | null | undefined): Promise<string | undefined> {
  if (!email) return undefined;
  const row = await tx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('email', '=', email)
    .executeTakeFirst();
  return row?.id;
}

/**
 * Ties an anonymous id (a browser's cookie) to a known contact and hands that contact the
 * visitor's earlier anonymous events. The latest identification on a device wins the mapping;
 * events already attributed to someone stay theirs.
 * @returns how many earlier events were attached.
 */
export async function linkAnonymousId(
  tx: Kysely<DB>,
  workspaceId: string,
  anonymousId: string | undefined,
  contactId: string,
  clock: Clock,
): Promise<number> {
  if (!anonymousId) return 0;
  await tx
    .insertInto('contact_anonymous_ids')
    .values({ workspace_id: workspaceId, anonymous_id: anonymousId, contact_id: contactId, created_at: clock.now() })
    .onConflict((oc) => oc.columns(['workspace_id', 'anonymous_id']).doUpdateSet({ contact_id: contactId }))
    .execute();
  const attached = await tx
    .updateTable('events')
    .set({ contact_id: contactId })
    .where('workspace_id', '=', workspaceId)
    .where('anonymous_id', '=', anonymousId)
    .where('contact_id', 'is', null)
    .returning(['occurred_at', 'context', 'type'])
    .execute();
  if (attached.length) {
    noteContactChange(tx, workspaceId, contactId, ['event:*']);
    noteEventsAdded(
      tx,
      contactId,
      attached.map((e) => e.occurred_at),
    );
  }
  // The visits made before identification carry the marketing touches and count as seen.
  const seen = createEventBatch(tx, workspaceId, clock.now());
  for (const e of attached) seen.see(contactId, e.occurred_at, isVisit(e.type) ? touchFromContext(e.context, e.occurred_at) : undefined);
  await seen.flush();
  return attached.length;
}

import { type Kysely, sql } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { type Touch, touchFromContext } from './touch.ts';

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
  await adoptTouches(tx, contactId, attached);
  return attached.length;
}

/**
 * The visits a visitor made before being identified carry the marketing touches: the earliest
 * becomes the contact's first touch when it has none or a later one, the latest its last touch.
 */
async function adoptTouches(
  tx: Kysely<DB>,
  contactId: string,
  events: { occurred_at: Date; context: Record<string, unknown>; type: string }[],
): Promise<void> {
  const touches = events
    .filter((e) => e.type === 'page' || e.type === 'screen' || e.type === 'track')
    .map((e) => touchFromContext(e.context, e.occurred_at))
    .filter((t): t is Touch => t !== undefined)
    .sort((a, b) => (a.at < b.at ? -1 : 1));
  if (events.length === 0) return;
  const earliest = new Date(Math.min(...events.map((e) => e.occurred_at.getTime())));
  const latest = new Date(Math.max(...events.map((e) => e.occurred_at.getTime())));
  const first = touches[0] ? JSON.stringify(touches[0]) : null;
  const last = touches.at(-1) ? JSON.stringify(touches.at(-1)) : null;
  await sql`
    UPDATE contacts SET
      first_touch = CASE WHEN ${first}::jsonb IS NOT NULL AND (first_touch IS NULL OR (first_touch->>'at')::timestamptz > (${first}::jsonb->>'at')::timestamptz) THEN ${first}::jsonb ELSE first_touch END,
      last_touch = CASE WHEN ${last}::jsonb IS NOT NULL AND (last_touch IS NULL OR (last_touch->>'at')::timestamptz < (${last}::jsonb->>'at')::timestamptz) THEN ${last}::jsonb ELSE last_touch END,
      first_seen_at = least(coalesce(first_seen_at, ${earliest}), ${earliest}),
      last_seen_at = greatest(coalesce(last_seen_at, ${latest}), ${latest})
    WHERE id = ${contactId}`.execute(tx);
}

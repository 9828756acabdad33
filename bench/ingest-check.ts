import { type Kysely, sql } from 'kysely';
import type { DB } from '../src/platform/db/schema.ts';
import type { SyntheticCall } from './generate-events.ts';

/** What the workspace holds after ingestion, against what the calls imply. */
export interface IngestedCounts {
  events: number;
  contacts: number;
  expectedContacts: number;
  /** Events tied to a contact, and how many the calls imply (userId calls plus calls from identified cookies). */
  attributed: number;
  expectedAttributed: number;
}

/**
 * Throws unless the workspace holds every call exactly once (no loss, no duplicate) and one
 * contact per userId (identity resolution ran and merged nothing it should not have).
 * Attribution is returned, not asserted: it is what the report compares.
 */
export async function assertIngestedEvents(db: Kysely<DB>, workspaceId: string, calls: readonly SyntheticCall[]): Promise<IngestedCounts> {
  const stored = await db.selectFrom('events').select('message_id').where('workspace_id', '=', workspaceId).execute();
  const sent = new Set(calls.map((c) => c.messageId));
  const seen = new Set<string>();
  for (const { message_id } of stored) {
    if (!sent.has(message_id)) throw new Error(`expected only the sent events, found messageId ${message_id} that was never sent`);
    if (seen.has(message_id)) throw new Error(`expected each messageId once, found ${message_id} twice`);
    seen.add(message_id);
  }
  if (seen.size !== sent.size) throw new Error(`expected ${sent.size} stored events, found ${seen.size}: ${sent.size - seen.size} lost`);

  const userIds = new Set(calls.flatMap((c) => (c.userId ? [c.userId] : [])));
  const { contacts } = await db
    .selectFrom('contacts')
    .select(sql<number>`count(*)::int`.as('contacts'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  if (contacts !== userIds.size) throw new Error(`expected one contact per userId (${userIds.size}), found ${contacts}`);

  const identifiedCookies = new Set(calls.flatMap((c) => (c.userId && c.anonymousId ? [c.anonymousId] : [])));
  const expectedAttributed = calls.filter((c) => c.userId || (c.anonymousId && identifiedCookies.has(c.anonymousId))).length;
  const { attributed } = await db
    .selectFrom('events')
    .select(sql<number>`count(*)::int`.as('attributed'))
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'is not', null)
    .executeTakeFirstOrThrow();
  return { events: seen.size, contacts, expectedContacts: userIds.size, attributed, expectedAttributed };
}

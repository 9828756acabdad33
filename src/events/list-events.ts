import { z } from '@hono/zod-openapi';
import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { getContact } from '../contacts/contacts.ts';
import type { DB, EventRow } from '../platform/db/schema.ts';
import { decodeCursor, encodeCursor, type Page, ZPageQuery } from '../platform/pagination.ts';

export const ZEventQuery = ZPageQuery.extend({
  name: z.string().max(200).optional().openapi({ description: 'Only events with this name (track event or page name).' }),
  type: z.enum(['identify', 'track', 'page', 'screen', 'group', 'alias']).optional(),
  after: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Only events at or after this time.' }),
  before: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Only events before this time.' }),
});
export type EventQuery = z.infer<typeof ZEventQuery>;

export const ZEvent = z
  .object({
    id: z.string(),
    messageId: z.string(),
    type: z.string(),
    name: z.string().nullable(),
    anonymousId: z.string().nullable(),
    userId: z.string().nullable(),
    properties: z.record(z.string(), z.unknown()),
    traits: z.record(z.string(), z.unknown()).nullable(),
    context: z.record(z.string(), z.unknown()),
    occurredAt: z.string(),
    receivedAt: z.string(),
  })
  .openapi('Event');
export type Event = z.infer<typeof ZEvent>;

/** A contact's timeline, newest first, filtered by name, type and time, with keyset cursors. */
export async function listContactEvents(db: Kysely<DB>, workspaceId: string, contactId: string, query: EventQuery): Promise<Page<Event>> {
  await getContact(db, workspaceId, contactId);
  let q = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).where('contact_id', '=', contactId);
  if (query.name) q = q.where('name', '=', query.name);
  if (query.type) q = q.where('type', '=', query.type);
  if (query.after) q = q.where('occurred_at', '>=', new Date(query.after));
  if (query.before) q = q.where('occurred_at', '<', new Date(query.before));
  const cursor = decodeCursor(query.cursor);
  if (cursor) q = q.where(sql<SqlBool>`(occurred_at, id) < (${new Date(String(cursor.value))}, ${cursor.id}::uuid)` as Expression<SqlBool>);
  const rows = await q
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toEvent),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ value: last.occurred_at.toISOString(), id: last.id }) : null,
  };
}

export const ZIdentities = z
  .object({
    contactId: z.string(),
    email: z.string().nullable(),
    externalIds: z.record(z.string(), z.string()),
    anonymousIds: z.array(z.string()),
    merges: z.array(z.object({ loserId: z.string(), reason: z.string(), mergedAt: z.string() })),
  })
  .openapi('ContactIdentities');

/** Every identity a contact is known by, and the contacts merged into it. */
export async function getContactIdentities(db: Kysely<DB>, workspaceId: string, contactId: string): Promise<z.infer<typeof ZIdentities>> {
  const contact = await getContact(db, workspaceId, contactId);
  const anonymous = await db
    .selectFrom('contact_anonymous_ids')
    .select('anonymous_id')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('created_at')
    .execute();
  const merges = await db
    .selectFrom('contact_merges')
    .select(['loser_id', 'reason', 'merged_at'])
    .where('workspace_id', '=', workspaceId)
    .where('winner_id', '=', contactId)
    .orderBy('merged_at')
    .execute();
  return {
    contactId,
    email: contact.email,
    externalIds: contact.externalIds,
    anonymousIds: anonymous.map((a) => a.anonymous_id),
    merges: merges.map((m) => ({ loserId: m.loser_id, reason: m.reason, mergedAt: m.merged_at.toISOString() })),
  };
}

function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    messageId: row.message_id,
    type: row.type,
    name: row.name,
    anonymousId: row.anonymous_id,
    userId: row.user_id,
    properties: row.properties,
    traits: row.traits,
    context: row.context,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
  };
}

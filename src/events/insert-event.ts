import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { eventReason, noteContactChange, noteEventsAdded } from '../platform/db/contact-changes.ts';
import type { DB, EventType } from '../platform/db/schema.ts';

export interface NewEvent {
  workspaceId: string;
  type: EventType;
  name: string | null;
  contactId: string | null;
  anonymousId?: string | null;
  userId?: string | null;
  messageId?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown> | null;
  context?: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
  sentAt?: Date | null;
}

/** Appends one event row (its month's partition must exist: see ensureEventPartitions). */
export async function insertEvent(tx: Kysely<DB>, event: NewEvent): Promise<void> {
  await tx
    .insertInto('events')
    .values({
      workspace_id: event.workspaceId,
      id: randomUUID(),
      message_id: event.messageId ?? randomUUID(),
      type: event.type,
      name: event.name,
      contact_id: event.contactId,
      anonymous_id: event.anonymousId ?? null,
      user_id: event.userId ?? null,
      properties: JSON.stringify(event.properties ?? {}),
      traits: event.traits ? JSON.stringify(event.traits) : null,
      context: JSON.stringify(event.context ?? {}),
      occurred_at: event.occurredAt,
      received_at: event.receivedAt,
      sent_at: event.sentAt ?? null,
    })
    .execute();
  if (event.contactId) {
    noteContactChange(tx, event.workspaceId, event.contactId, [eventReason(event.type, event.name)]);
    noteEventsAdded(tx, event.contactId, [event.occurredAt]);
  }
}

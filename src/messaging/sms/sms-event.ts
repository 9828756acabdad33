import type { Kysely } from 'kysely';
import { insertEvent } from '../../events/insert-event.ts';
import type { DB } from '../../platform/db/schema.ts';

export type SmsEventName = 'SMS Opted Out' | 'SMS Opted In';

/**
 * Appends an SMS consent event to the timeline of every contact of the workspace with this number
 * (E.164), inside the caller's unit of work so scores and segments follow in the same transaction.
 * A number can belong to several contacts (a shared office line); each gets the event.
 * @returns the contacts written to.
 */
export async function recordSmsEvent(
  tx: Kysely<DB>,
  event: { workspaceId: string; phone: string; name: SmsEventName; properties: Record<string, unknown>; at: Date },
): Promise<string[]> {
  const contacts = await tx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', event.workspaceId)
    .where('phone', '=', event.phone)
    .orderBy('id')
    .execute();
  for (const { id } of contacts) {
    await insertEvent(tx, {
      workspaceId: event.workspaceId,
      type: 'track',
      name: event.name,
      contactId: id,
      properties: { phone: event.phone, ...event.properties },
      occurredAt: event.at,
      receivedAt: event.at,
    });
  }
  return contacts.map((c) => c.id);
}

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { ensureEventPartitions, type PartitionCache } from './event-partitions.ts';
import { machineActivity } from './machine-activity.ts';
import type { TrackingClaims } from './tracking-token.ts';

/**
 * Records an email open or click from a verified tracking token as an event on its contact,
 * flagged when a machine (privacy proxy, link scanner) rather than a person made it.
 * @returns false when the contact no longer exists (deleted since the mail went out).
 */
export async function recordEmailEvent(
  db: Kysely<DB>,
  {
    claims,
    name,
    ip,
    userAgent,
    partitions,
  }: { claims: TrackingClaims; name: 'Email Opened' | 'Email Link Clicked'; ip?: string; userAgent?: string; partitions: PartitionCache },
  clock: Clock,
): Promise<boolean> {
  const now = clock.now();
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', claims.workspaceId)
    .where('id', '=', claims.contactId)
    .executeTakeFirst();
  if (!contact) return false;
  const machineReason = machineActivity({ ip, userAgent, at: now, sentAt: claims.sentAt });
  await ensureEventPartitions(db, [now], partitions);
  await db
    .insertInto('events')
    .values({
      workspace_id: claims.workspaceId,
      id: randomUUID(),
      message_id: randomUUID(),
      type: 'track',
      name,
      contact_id: claims.contactId,
      anonymous_id: null,
      user_id: null,
      properties: JSON.stringify({
        deliveryId: claims.deliveryId,
        ...(claims.linkIndex !== undefined ? { linkIndex: claims.linkIndex, url: claims.url } : {}),
        machine: machineReason !== undefined,
        ...(machineReason ? { machineReason } : {}),
      }),
      traits: null,
      context: JSON.stringify({ ip: ip ?? null, userAgent: userAgent ?? null }),
      occurred_at: now,
      received_at: now,
      sent_at: null,
    })
    .execute();
  return true;
}

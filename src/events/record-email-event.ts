import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import { unitOfWork } from '../segments/membership.ts';
import { ensureEventPartitions, type PartitionCache } from './event-partitions.ts';
import { insertEvent } from './insert-event.ts';
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
  // A unit of work: segments on email engagement follow the open or click at once.
  await unitOfWork(db, clock, (tx) =>
    insertEvent(tx, {
      workspaceId: claims.workspaceId,
      type: 'track',
      name,
      contactId: claims.contactId,
      properties: {
        deliveryId: claims.deliveryId,
        ...(claims.linkIndex !== undefined ? { linkIndex: claims.linkIndex, url: claims.url } : {}),
        machine: machineReason !== undefined,
        ...(machineReason ? { machineReason } : {}),
      },
      context: { ip: ip ?? null, userAgent: userAgent ?? null },
      occurredAt: now,
      receivedAt: now,
    }),
  );
  return true;
}

import { type Kysely, sql } from 'kysely';
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
  await unitOfWork(db, clock, async (tx) => {
    const campaignId = await markDelivery(tx, claims, name, machineReason !== undefined, now);
    await insertEvent(tx, {
      workspaceId: claims.workspaceId,
      type: 'track',
      name,
      contactId: claims.contactId,
      properties: {
        deliveryId: claims.deliveryId,
        ...(campaignId ? { campaignId } : {}),
        ...(claims.linkIndex !== undefined ? { linkIndex: claims.linkIndex, url: claims.url } : {}),
        machine: machineReason !== undefined,
        ...(machineReason ? { machineReason } : {}),
      },
      context: { ip: ip ?? null, userAgent: userAgent ?? null },
      occurredAt: now,
      receivedAt: now,
    });
  });
  return true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Notes the first open or click by a person on the delivery (machine opens apart: Apple's proxy
 * opens every message) and moves its status forward (sent → opened → clicked), never back from
 * a bounce, complaint or unsubscribe.
 * @returns the delivery's campaign, for the event (segments and scoring read campaignId).
 */
async function markDelivery(
  tx: Kysely<DB>,
  claims: TrackingClaims,
  name: 'Email Opened' | 'Email Link Clicked',
  machine: boolean,
  now: Date,
): Promise<string | null> {
  if (!UUID.test(claims.deliveryId)) return null;
  const open = name === 'Email Opened';
  const { rows } = await sql<{ campaign_id: string | null }>`
    UPDATE deliveries SET
      opened_at = CASE WHEN ${open && !machine} THEN coalesce(opened_at, ${now}) ELSE opened_at END,
      machine_opened_at = CASE WHEN ${open && machine} THEN coalesce(machine_opened_at, ${now}) ELSE machine_opened_at END,
      clicked_at = CASE WHEN ${!open && !machine} THEN coalesce(clicked_at, ${now}) ELSE clicked_at END,
      status = CASE
        WHEN ${machine} THEN status
        WHEN ${!open} AND status IN ('sent', 'opened') THEN 'clicked'
        WHEN status = 'sent' THEN 'opened'
        ELSE status END
    WHERE workspace_id = ${claims.workspaceId} AND id = ${claims.deliveryId}
    RETURNING campaign_id`.execute(tx);
  return rows[0]?.campaign_id ?? null;
}

import type { Kysely } from 'kysely';
import { ensureEventPartitions, type PartitionCache } from '../../events/event-partitions.ts';
import { insertEvent } from '../../events/insert-event.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DB } from '../../platform/db/schema.ts';
import { unitOfWork } from '../../segments/membership.ts';

/** What every compliance write needs: the clock and the process's cache of event partitions. */
export interface ComplianceDeps {
  clock: Clock;
  partitions: PartitionCache;
}

export type ComplianceEventName =
  | 'Unsubscribed'
  | 'Subscribed'
  | 'Email Suppressed'
  | 'Email Suppression Lifted'
  | 'Preferences Updated'
  | 'Email Bounced'
  | 'Email Complained';

/**
 * Runs a compliance write as a unit of work (scores and segments react in the same transaction)
 * after making sure this month's event partition exists, which cannot happen inside it.
 */
export async function complianceUnitOfWork<T>(db: Kysely<DB>, deps: ComplianceDeps, work: (tx: Kysely<DB>, now: Date) => Promise<T>) {
  const now = deps.clock.now();
  await ensureEventPartitions(db, [now], deps.partitions);
  return unitOfWork(db, deps.clock, (tx) => work(tx, now));
}

/** Appends a compliance event (e.g. `Unsubscribed` with its topic) to the contact's timeline. */
export async function recordComplianceEvent(
  tx: Kysely<DB>,
  event: { workspaceId: string; contactId: string; name: ComplianceEventName; properties: Record<string, unknown>; ip?: string; at: Date },
): Promise<void> {
  await insertEvent(tx, {
    workspaceId: event.workspaceId,
    type: 'track',
    name: event.name,
    contactId: event.contactId,
    properties: event.properties,
    context: { ip: event.ip ?? null },
    occurredAt: event.at,
    receivedAt: event.at,
  });
}

import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { eventReason, noteContactChange, noteEventsAdded, noteLockedContacts } from '../platform/db/contact-changes.ts';
import type { DB, EventRow } from '../platform/db/schema.ts';
import type { Touch } from './touch.ts';

/** An event row before the batch gives it an id and arrival time. */
export type PendingEvent = Omit<EventRow, 'workspace_id' | 'id' | 'received_at'>;

interface Seen {
  firstAt: Date;
  lastAt: Date;
  firstTouch?: Touch;
  lastTouch?: Touch;
}

/**
 * Collects a request's events and what they say about their contacts (first/last seen, first/last
 * touch), and writes them in two statements per flush instead of two per event.
 */
export function createEventBatch(tx: Kysely<DB>, workspaceId: string, receivedAt: Date) {
  let events: PendingEvent[] = [];
  let seen = new Map<string, Seen>();
  const see = (contactId: string, at: Date, touch: Touch | undefined): void => {
    const current = seen.get(contactId) ?? { firstAt: at, lastAt: at };
    if (at < current.firstAt) current.firstAt = at;
    if (at > current.lastAt) current.lastAt = at;
    if (touch && (!current.firstTouch || touch.at < current.firstTouch.at)) current.firstTouch = touch;
    if (touch && (!current.lastTouch || touch.at >= current.lastTouch.at)) current.lastTouch = touch;
    seen.set(contactId, current);
  };
  return {
    add(event: PendingEvent, touch: Touch | undefined): void {
      events.push(event);
      if (event.contact_id) see(event.contact_id, event.occurred_at, touch);
    },
    /** Counts an event stored earlier (an anonymous visit just attached) towards its contact's seen times and touches. */
    see,
    /** Writes what was collected; call before anything that reads or moves this request's events. */
    async flush(): Promise<void> {
      if (events.length) {
        const rows = events.map((e) => ({ ...e, workspace_id: workspaceId, id: randomUUID(), received_at: receivedAt }));
        await sql`INSERT INTO events SELECT * FROM jsonb_populate_recordset(NULL::events, ${JSON.stringify(rows)}::jsonb)`.execute(tx);
        for (const e of events) {
          if (!e.contact_id) continue;
          noteContactChange(tx, workspaceId, e.contact_id, [eventReason(e.type, e.name)]);
          noteEventsAdded(tx, e.contact_id, [e.occurred_at]);
        }
      }
      if (seen.size) {
        // Sorted by id: concurrent requests lock contact rows in the same order.
        const updates = [...seen]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([id, s]) => ({
            id,
            first_at: s.firstAt,
            last_at: s.lastAt,
            first_touch: s.firstTouch ?? null,
            last_touch: s.lastTouch ?? null,
          }));
        await sql`
          UPDATE contacts AS c SET
            first_seen_at = least(coalesce(c.first_seen_at, v.first_at), v.first_at),
            last_seen_at = greatest(coalesce(c.last_seen_at, v.last_at), v.last_at),
            first_touch = CASE WHEN v.first_touch IS NOT NULL AND (c.first_touch IS NULL OR (c.first_touch->>'at')::timestamptz > (v.first_touch->>'at')::timestamptz)
              THEN v.first_touch ELSE c.first_touch END,
            last_touch = CASE WHEN v.last_touch IS NOT NULL AND (c.last_touch IS NULL OR (c.last_touch->>'at')::timestamptz <= (v.last_touch->>'at')::timestamptz)
              THEN v.last_touch ELSE c.last_touch END
          FROM json_to_recordset(${JSON.stringify(updates)}::json) AS v(id uuid, first_at timestamptz, last_at timestamptz, first_touch jsonb, last_touch jsonb)
          WHERE c.id = v.id AND c.workspace_id = ${workspaceId}`.execute(tx);
        for (const id of seen.keys()) noteContactChange(tx, workspaceId, id, SEEN_REASONS);
        noteLockedContacts(tx, seen.keys());
      }
      events = [];
      seen = new Map();
    },
  };
}

export type EventBatch = ReturnType<typeof createEventBatch>;

const SEEN_REASONS = ['field:first_seen_at', 'field:last_seen_at', 'field:first_touch', 'field:last_touch'];

/** Claims the request's messageIds in one statement; returns those not seen before. */
export async function claimMessageIds(tx: Kysely<DB>, workspaceId: string, messageIds: string[], receivedAt: Date): Promise<Set<string>> {
  const { rows } = await sql<{ message_id: string }>`
    INSERT INTO event_message_ids (workspace_id, message_id, received_at)
    SELECT ${workspaceId}, m, ${receivedAt} FROM unnest(${messageIds}::text[]) AS m
    ON CONFLICT DO NOTHING
    RETURNING message_id`.execute(tx);
  return new Set(rows.map((r) => r.message_id));
}

/** Lock class of identity locks (two-key advisory locks: no clash with single-key ones). */
const IDENTITY_LOCK_CLASS = 7301;
/**
 * Identities hash into this many locks: a transaction holds at most this many however large it
 * is (PostgreSQL's lock table is shared and sized for ~64 locks per connection); two identities
 * sharing a lock only serialise their transactions.
 */
const IDENTITY_LOCK_BUCKETS = 256;

/** Takes the identity locks in one statement, in bucket order (the same order everywhere). */
export async function lockIdentities(tx: Kysely<DB>, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(${IDENTITY_LOCK_CLASS}, b) FROM (SELECT DISTINCT (abs(hashtextextended(k, 0)) % ${IDENTITY_LOCK_BUCKETS})::int AS b FROM unnest(${keys}::text[]) AS k ORDER BY b) AS s`.execute(
    tx,
  );
}

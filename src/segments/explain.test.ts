import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkUpsertContacts } from '../contacts/contacts.ts';
import { createPartitionCache } from '../events/event-partitions.ts';
import type { SegmentCall } from '../events/event-schema.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { createVirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { membersQuery } from './compile.ts';
import { ZCondition } from './condition.ts';
import { FieldCatalog } from './fields.ts';
import { createList } from './lists.ts';

/**
 * The common condition shapes compile to SQL that can use our indexes: with sequential scans
 * priced out, the plan reads the index named, and never scans the events table.
 */
const database = useTestDatabase();
const clock = createVirtualClock(new Date('2026-04-15T03:00:00Z'));
let workspaceId: string;
let contactId: string;
let listId: string;

beforeAll(async () => {
  const { db } = database.current;
  ({ workspaceId } = await createTestWorkspace(database.current, clock));
  const [written] = await bulkUpsertContacts(db, workspaceId, [{ email: 'x@example.jp', tags: ['vip'] }], clock);
  contactId = (written as { id: string }).id;
  await ingestEvents(
    db,
    {
      workspaceId,
      calls: [
        { type: 'track', userId: 'x', event: 'Order Completed' },
        { type: 'page', userId: 'x', properties: { path: '/pricing' } },
      ] as SegmentCall[],
      partitions: createPartitionCache(),
    },
    clock,
  );
  listId = (await createList(db, workspaceId, { name: 'L' }, clock)).id;
  // Enough rows, analysed, for the planner to prefer a selective index over any other.
  for (let batch = 0; batch < 3; batch++) {
    const people = Array.from({ length: 1000 }, (_, i) => ({ email: `p${batch}-${i}@example.jp`, tags: i % 50 ? [] : ['other'] }));
    await bulkUpsertContacts(db, workspaceId, people, clock);
  }
  await sql`ANALYZE contacts`.execute(db);
});

async function plan(condition: unknown, narrowed: boolean): Promise<string> {
  const { db } = database.current;
  const query = membersQuery(ZCondition.parse(condition), {
    workspaceId,
    now: clock.now(),
    timeZone: 'Asia/Tokyo',
    catalog: new FieldCatalog([]),
    contactIds: narrowed ? [contactId] : undefined,
  });
  return db.transaction().execute(async (tx) => {
    await sql`SET LOCAL enable_seqscan = off`.execute(tx);
    const { rows } = await sql<{ 'QUERY PLAN': unknown }>`EXPLAIN (FORMAT JSON) ${query}`.execute(tx);
    return JSON.stringify(rows[0]!['QUERY PLAN']);
  });
}

const SHAPES: [string, unknown, RegExp][] = [
  ['email equals', { type: 'field', field: 'email', operator: 'eq', value: 'X@example.jp' }, /"Index Name":"contacts_email"/],
  ['has tag', { type: 'field', field: 'tags', operator: 'contains', value: 'vip' }, /"Index Name":"contacts_tags"/],
  [
    'performed an event in the last 30 days',
    { type: 'event', event: 'Order Completed', within: { lastDays: 30 } },
    /"Index Name":"events_\d{4}_\d{2}_workspace_id_name_occurred_at_idx"/,
  ],
  [
    'viewed a page at least 3 times in 7 days',
    { type: 'event', call: 'page', count: { operator: 'at_least', value: 3 }, within: { lastDays: 7 } },
    /"Index Name":"events_\d{4}_\d{2}_workspace_id_type_occurred_at_idx"/,
  ],
  ['member of a segment', { type: 'segment', segmentId: '00000000-0000-4000-8000-000000000000' }, /"Index Name":"segment_members_current"/],
];

describe('compiled conditions use indexes', () => {
  it.each(SHAPES.map(([name, condition, index]) => ({ name, condition, index })))('$name', async ({ condition, index }) => {
    const full = await plan(condition, false);
    expect(full).toMatch(index);
    expect(full).not.toMatch(
      /"Node Type":"Seq Scan","Parent Relationship":"[^"]*","Parallel Aware":false,"Async Capable":false,"Relation Name":"events/,
    );
  });

  it('a list condition reads the list members by key', async () => {
    expect(await plan({ type: 'list', listId: '00000000-0000-4000-8000-000000000000' }, false)).toMatch(/"Index Name":"list_members_pkey"/);
    void listId;
  });

  it('evaluating one contact reads that contact’s rows by index, never a whole table', async () => {
    for (const [, condition] of SHAPES) {
      const narrowed = await plan(condition, true);
      expect(narrowed).toMatch(/"Index Name":"contacts_pkey"|"Index Name":"contacts_email"|"Index Name":"contacts_tags"/);
      expect(narrowed).not.toMatch(/"Seq Scan"/);
    }
  });
});

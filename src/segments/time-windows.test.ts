import { describe, expect, it } from 'vitest';
import { deleteContact, updateContact } from '../contacts/contacts.ts';
import { defineCustomField } from '../contacts/custom-fields.ts';
import { createPartitionCache } from '../events/event-partitions.ts';
import type { SegmentCall } from '../events/event-schema.ts';
import { ingestEvents } from '../events/ingest-events.ts';
import { createVirtualClock, type VirtualClock } from '../platform/clock.ts';
import { useTestDatabase } from '../platform/db/test-database.ts';
import { createTestWorkspace } from '../server/test-app.ts';
import { drainDueSegmentChecks } from './membership.ts';
import { createSegment, publishSegment, rebuildSegment } from './segments.ts';

/** Conditions that change with time alone, driven by the virtual clock and due re-check rows. */
const database = useTestDatabase();

async function setup(clock: VirtualClock, condition: unknown) {
  const { db } = database.current;
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  await defineCustomField(db, workspaceId, { entity: 'contact', key: 'renewal', label: 'Renewal', type: 'date' }, clock);
  const segment = await createSegment(db, workspaceId, { name: 'timed', definition: { condition } }, clock);
  await publishSegment(db, workspaceId, segment.id, clock);
  await rebuildSegment(db, workspaceId, segment.id, clock);
  const partitions = createPartitionCache();
  const send = (call: Record<string, unknown>) =>
    ingestEvents(db, { workspaceId, calls: [{ userId: 'u1', ...call } as SegmentCall], partitions }, clock);
  const state = async () => {
    const member = await db
      .selectFrom('segment_members')
      .select('contact_id')
      .where('segment_id', '=', segment.id)
      .where('exited_at', 'is', null)
      .executeTakeFirst();
    const signals = await db
      .selectFrom('signals')
      .select(['kind', 'occurred_at'])
      .where('subject_id', '=', segment.id)
      .orderBy('id')
      .execute();
    return { member: !!member, signals: signals.map((s) => `${s.kind}@${s.occurred_at.toISOString()}`) };
  };
  return { db, workspaceId, segment, send, state };
}

describe('time windows', () => {
  it('a contact leaves "viewed /pricing at least 3 times in 7 days" exactly when the oldest counted view ages out, with one exit signal', async () => {
    // 2026-06-01 10:00 JST; the views fall on 1, 2 and 3 June (Tokyo).
    const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
    const { db, workspaceId, segment, send, state } = await setup(clock, {
      type: 'event',
      call: 'page',
      where: [{ property: 'path', operator: 'starts_with', value: '/pricing' }],
      count: { operator: 'at_least', value: 3 },
      within: { lastDays: 7 },
    });
    await send({ type: 'page', properties: { path: '/pricing' } });
    clock.advance(86_400_000);
    await send({ type: 'page', properties: { path: '/pricing/team' } });
    clock.advance(86_400_000);
    expect((await state()).member).toBe(false);
    await send({ type: 'page', properties: { path: '/pricing' } });
    expect(await state()).toEqual({ member: true, signals: ['segment.entered@2026-06-03T01:00:00.000Z'] });

    // The 1 June view counts through 7 June (Tokyo) and ages out at 8 June 00:00 JST = 7 June 15:00 UTC.
    const ageOut = new Date('2026-06-07T15:00:00Z');
    const due = await db.selectFrom('segment_checks').select('due_at').where('segment_id', '=', segment.id).executeTakeFirstOrThrow();
    expect(due.due_at.toISOString()).toBe(ageOut.toISOString());
    clock.set(new Date(ageOut.getTime() - 1));
    expect(await drainDueSegmentChecks(db, clock, { workspaceId })).toBe(0);
    expect((await state()).member).toBe(true);
    clock.set(ageOut);
    expect(await drainDueSegmentChecks(db, clock, { workspaceId })).toBe(1);
    expect(await state()).toEqual({
      member: false,
      signals: ['segment.entered@2026-06-03T01:00:00.000Z', 'segment.exited@2026-06-07T15:00:00.000Z'],
    });
    // Nothing is left to re-check: the two remaining views can never make three again by time alone.
    clock.advance(30 * 86_400_000);
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).signals).toHaveLength(2);
  });

  it('a fourth view inside the window keeps the contact in past the first view’s age-out', async () => {
    const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
    const { db, workspaceId, send, state } = await setup(clock, {
      type: 'event',
      call: 'page',
      count: { operator: 'at_least', value: 3 },
      within: { lastDays: 7 },
    });
    for (let i = 0; i < 4; i++) {
      await send({ type: 'page', properties: { path: `/p${i}` } });
      clock.advance(86_400_000);
    }
    clock.set(new Date('2026-06-07T15:00:00Z')); // the first view ages out: three remain
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).member).toBe(true);
    clock.set(new Date('2026-06-08T15:00:00Z')); // the second one too: two remain
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect(await state()).toEqual({
      member: false,
      signals: ['segment.entered@2026-06-03T01:00:00.000Z', 'segment.exited@2026-06-08T15:00:00.000Z'],
    });
  });

  it('"no order in the last 2 days" takes the contact back in when the last order ages out', async () => {
    const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
    const { db, workspaceId, send, state } = await setup(clock, {
      type: 'and',
      conditions: [
        { type: 'event', event: 'Order Completed', count: { operator: 'exactly', value: 0 }, within: { lastDays: 2 } },
        { type: 'field', field: 'email', operator: 'is_set' },
      ],
    });
    await send({ type: 'identify', traits: { email: 'buyer@example.jp' } });
    expect((await state()).member).toBe(true);
    await send({ type: 'track', event: 'Order Completed' });
    expect((await state()).member).toBe(false);
    clock.set(new Date('2026-06-02T14:59:59.999Z'));
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).member).toBe(false);
    clock.set(new Date('2026-06-02T15:00:00Z')); // 3 June 00:00 JST
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).signals).toEqual([
      'segment.entered@2026-06-01T01:00:00.000Z',
      'segment.exited@2026-06-01T01:00:00.000Z',
      'segment.entered@2026-06-02T15:00:00.000Z',
    ]);
  });

  it('a deleted contact’s pending re-check is dropped when due, and its exit was signalled at deletion', async () => {
    const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
    const { db, workspaceId, segment, send, state } = await setup(clock, { type: 'event', call: 'page', within: { lastDays: 7 } });
    await send({ type: 'page', properties: { path: '/' } });
    const contact = await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    await deleteContact(db, workspaceId, contact.id, clock);
    expect(await db.selectFrom('segment_checks').select('contact_id').where('segment_id', '=', segment.id).execute()).toHaveLength(1);
    clock.advance(10 * 86_400_000);
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect(await db.selectFrom('segment_checks').select('contact_id').where('segment_id', '=', segment.id).execute()).toHaveLength(0);
    expect((await state()).signals).toEqual(['segment.entered@2026-06-01T01:00:00.000Z', 'segment.exited@2026-06-01T01:00:00.000Z']);
  });

  it('a renewal date enters "within the next 3 days" at local midnight and leaves the day after', async () => {
    const clock = createVirtualClock(new Date('2026-06-01T01:00:00Z'));
    const { db, workspaceId, send, state } = await setup(clock, {
      type: 'field',
      field: 'custom.renewal',
      operator: 'within_next_days',
      value: 3,
    });
    await send({ type: 'identify', traits: { email: 'renew@example.jp' } });
    const contact = await db.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
    await updateContact(db, workspaceId, contact.id, { custom: { renewal: '2026-06-10' } }, clock);
    expect((await state()).member).toBe(false);
    clock.set(new Date('2026-06-07T14:59:59Z')); // 7 June 23:59:59 JST: the window is 7–9 June
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).member).toBe(false);
    clock.set(new Date('2026-06-07T15:00:00Z')); // 8 June 00:00 JST: 8–10 June
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).member).toBe(true);
    clock.set(new Date('2026-06-10T15:00:00Z')); // 11 June: the date has passed
    await drainDueSegmentChecks(db, clock, { workspaceId });
    expect((await state()).signals).toEqual(['segment.entered@2026-06-07T15:00:00.000Z', 'segment.exited@2026-06-10T15:00:00.000Z']);
  });
});

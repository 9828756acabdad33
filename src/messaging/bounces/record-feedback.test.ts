import { describe, expect, it } from 'vitest';
import { createPartitionCache } from '../../events/event-partitions.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { checkSendPolicy, liftSuppression } from '../compliance/suppression.ts';
import { classifyBounce } from './classify.ts';
import { recordBounce, recordComplaint } from './record-feedback.ts';
import { insertDelivery, seedContact } from './test-deliveries.ts';

const database = useTestDatabase();
const DAY_MS = 86_400_000;
const EMAIL = 'taro@example.jp';

const USER_UNKNOWN = classifyBounce({ action: 'failed', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <taro@example.jp>: User unknown' });
const MAILBOX_FULL = classifyBounce({ action: 'failed', status: '5.2.2', diagnostic: 'smtp; 552 5.2.2 Mailbox full' });
const SPAM_BLOCK = classifyBounce({
  action: 'failed',
  status: '5.7.1',
  diagnostic: 'smtp; 554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org',
});

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-04-01T00:00:00Z'));
  const deps = { clock, partitions: createPartitionCache() };
  const { workspaceId, contactId } = await seedContact(db, clock, 'Taro@Example.jp');
  const send = (options: { to?: string | null; contactId?: string | null; status?: 'sent' | 'sending' | 'queued' | 'bounced' } = {}) =>
    insertDelivery(db, clock, {
      workspaceId,
      contactId: options.contactId === undefined ? contactId : options.contactId,
      to: options.to === undefined ? EMAIL : options.to,
      status: options.status,
    });
  const delivery = (id: string) =>
    db
      .selectFrom('deliveries')
      .select(['status', 'reason', 'error', 'bounced_at', 'complained_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const suppressions = () =>
    db
      .selectFrom('suppressions')
      .select(['email', 'reason', 'source', 'detail', 'contact_id', 'lifted_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .execute();
  const events = async () =>
    (
      await db
        .selectFrom('events')
        .select(['name', 'properties'])
        .where('workspace_id', '=', workspaceId)
        .where('name', 'in', ['Email Bounced', 'Email Complained', 'Email Suppressed'])
        .orderBy('received_at')
        .orderBy('name')
        .execute()
    ).map((e) => [e.name, e.properties] as const);
  const policy = async (kind: 'marketing' | 'transactional') => {
    const [decision] = await checkSendPolicy(db, workspaceId, [{ contactId, email: EMAIL }], { kind });
    return decision?.allowed ? 'allowed' : decision?.reason;
  };
  return { db, clock, deps, workspaceId, contactId, send, delivery, suppressions, events, policy };
}

describe('recordBounce: hard', () => {
  it('marks the delivery bounced, writes Email Bounced once and suppresses the address for every kind of mail', async () => {
    const { db, deps, contactId, send, delivery, suppressions, events, policy } = await setup();
    const { id } = await send();

    expect(await recordBounce(db, deps, { deliveryId: id, bounce: USER_UNKNOWN })).toMatchObject({
      result: 'recorded',
      reason: 'hard_bounce',
      suppressed: true,
    });
    expect(await delivery(id)).toMatchObject({
      status: 'bounced',
      reason: 'unknown_user',
      error: '5.1.1 550 5.1.1 <taro@example.jp>: User unknown',
      bounced_at: new Date('2026-04-01T00:00:00Z'),
    });
    expect(await suppressions()).toEqual([
      {
        email: EMAIL,
        reason: 'hard_bounce',
        source: 'dsn',
        detail: '5.1.1 550 5.1.1 <taro@example.jp>: User unknown',
        contact_id: contactId,
        lifted_at: null,
      },
    ]);
    expect(await events()).toEqual([
      [
        'Email Bounced',
        {
          deliveryId: id,
          campaignId: null,
          bounceType: 'hard',
          category: 'unknown_user',
          status: '5.1.1',
          diagnostic: '550 5.1.1 <taro@example.jp>: User unknown',
        },
      ],
      ['Email Suppressed', { reason: 'hard_bounce', source: 'dsn', deliveryId: id }],
    ]);
    expect(await policy('transactional')).toBe('hard_bounce');

    // The same report again (an MTA retrying after a lost reply): nothing more.
    const before = { rows: await suppressions(), events: await events(), delivery: await delivery(id) };
    deps.clock.advance(60_000);
    expect(await recordBounce(db, deps, { deliveryId: id, bounce: USER_UNKNOWN })).toMatchObject({
      result: 'duplicate',
      suppressed: false,
    });
    expect({ rows: await suppressions(), events: await events(), delivery: await delivery(id) }).toEqual(before);
  });

  it('finds the delivery by Message-ID (either form), and ignores a header id that is no UUID', async () => {
    const { db, deps, send, delivery } = await setup();
    const { id, messageId } = await send();
    const bare = messageId.slice(1, -1);
    expect(
      await recordBounce(db, deps, { deliveryId: "x'; DROP TABLE deliveries; --", messageId: bare, bounce: USER_UNKNOWN }),
    ).toMatchObject({
      result: 'recorded',
      deliveryId: id,
    });
    expect((await delivery(id)).status).toBe('bounced');
    expect(await recordBounce(db, deps, { deliveryId: '00000000-0000-4000-8000-000000000000', bounce: USER_UNKNOWN })).toEqual({
      result: 'unmatched',
      deliveryId: '00000000-0000-4000-8000-000000000000',
      workspaceId: null,
      reason: 'no_such_delivery',
      suppressed: false,
    });
  });

  it("classifies the pipeline's own refusal at RCPT: a 552 mailbox full becomes soft", async () => {
    const { db, deps, send, delivery, suppressions } = await setup();
    const { id } = await send({ status: 'bounced' });
    expect(await recordBounce(db, deps, { deliveryId: id, bounce: MAILBOX_FULL, source: 'smtp' })).toMatchObject({
      result: 'recorded',
      reason: 'soft_bounce',
    });
    expect(await delivery(id)).toMatchObject({ status: 'soft_bounced', reason: 'mailbox_full' });
    expect(await suppressions()).toEqual([]);
  });

  it('answers "later" for a delivery still being sent, and ignores one never sent', async () => {
    const { db, deps, send, delivery } = await setup();
    const sending = await send({ status: 'sending' });
    await expect(recordBounce(db, deps, { deliveryId: sending.id, bounce: USER_UNKNOWN })).rejects.toMatchObject({ code: 'unavailable' });
    expect((await delivery(sending.id)).status).toBe('sending');
    const queued = await send({ status: 'queued' });
    expect(await recordBounce(db, deps, { deliveryId: queued.id, bounce: USER_UNKNOWN })).toMatchObject({
      result: 'ignored',
      reason: 'not_sent_queued',
    });
  });

  it('suppresses the address of a deleted contact without an event', async () => {
    const { db, deps, send, suppressions, events } = await setup();
    const { id } = await send({ contactId: null, to: null });
    expect(await recordBounce(db, deps, { deliveryId: id, recipient: 'Jiro@Example.jp', bounce: USER_UNKNOWN })).toMatchObject({
      result: 'recorded',
      suppressed: true,
    });
    expect(await suppressions()).toEqual([expect.objectContaining({ email: 'jiro@example.jp', reason: 'hard_bounce', contact_id: null })]);
    expect(await events()).toEqual([]);
  });
});

describe('recordBounce: soft', () => {
  it('suppresses on the third soft bounce within 30 days, not on the second', async () => {
    const { db, clock, deps, send, delivery, suppressions, events, policy } = await setup();
    const bounceOnDay = async (day: number) => {
      clock.set(new Date(Date.UTC(2026, 3, 1 + day)));
      const { id } = await send();
      return { id, outcome: await recordBounce(db, deps, { deliveryId: id, bounce: MAILBOX_FULL }) };
    };
    const first = await bounceOnDay(0);
    expect(first.outcome).toMatchObject({ result: 'recorded', reason: 'soft_bounce', suppressed: false });
    expect(await delivery(first.id)).toMatchObject({ status: 'soft_bounced', reason: 'mailbox_full' });
    expect((await bounceOnDay(12)).outcome.suppressed).toBe(false);
    expect(await suppressions()).toEqual([]);
    expect(await policy('marketing')).toBe('allowed');

    const third = await bounceOnDay(29);
    expect(third.outcome).toMatchObject({ result: 'recorded', suppressed: true });
    expect(await suppressions()).toEqual([
      expect.objectContaining({
        reason: 'hard_bounce',
        source: 'dsn',
        detail: '3 soft bounces in 30 days (last: 5.2.2 552 5.2.2 Mailbox full)',
      }),
    ]);
    expect((await events()).map(([name, p]) => [name, p.bounceType ?? p.reason])).toEqual([
      ['Email Bounced', 'soft'],
      ['Email Bounced', 'soft'],
      ['Email Bounced', 'soft'],
      ['Email Suppressed', 'hard_bounce'],
    ]);
    expect(await policy('transactional')).toBe('hard_bounce');
  });

  it('counts only the window under the clock: a bounce 31 days old no longer counts', async () => {
    const { db, clock, deps, send, suppressions } = await setup();
    const at = (day: number) => clock.set(new Date(new Date('2026-04-01T00:00:00Z').getTime() + day * DAY_MS));
    for (const day of [0, 20]) {
      at(day);
      await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL });
    }
    at(31);
    expect((await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL })).suppressed).toBe(false);
    expect(await suppressions()).toEqual([]);
    at(35);
    expect((await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL })).suppressed).toBe(true);
  });

  it('takes the limit and the window as options', async () => {
    const { db, deps, send } = await setup();
    const options = { softBounceLimit: 2, softBounceWindowDays: 7 };
    expect((await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL, ...options })).suppressed).toBe(false);
    expect((await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL, ...options })).suppressed).toBe(true);
  });

  it('does not count blocks of our own mail (policy, size, rate), and one delivery counts once', async () => {
    const { db, deps, send, suppressions, events } = await setup();
    for (let i = 0; i < 3; i++) await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: SPAM_BLOCK });
    expect(await suppressions()).toEqual([]);
    const { id } = await send();
    for (let i = 0; i < 3; i++) await recordBounce(db, deps, { deliveryId: id, bounce: MAILBOX_FULL });
    expect(await suppressions()).toEqual([]);
    expect((await events()).length).toBe(4);
  });

  it('starts the count afresh after the bounce suppression is lifted', async () => {
    const { db, deps, workspaceId, send, suppressions } = await setup();
    for (let i = 0; i < 3; i++) await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL });
    const [suppression] = await db.selectFrom('suppressions').select('id').where('workspace_id', '=', workspaceId).execute();
    deps.clock.advance(60_000);
    await liftSuppression(db, { workspaceId, id: suppression!.id, by: 'admin' }, deps);
    deps.clock.advance(60_000);
    expect((await recordBounce(db, deps, { deliveryId: (await send()).id, bounce: MAILBOX_FULL })).suppressed).toBe(false);
    expect((await suppressions()).filter((s) => s.lifted_at === null)).toEqual([]);
  });

  it('a hard bounce after a soft one of the same delivery upgrades it; a soft one after a hard is ignored', async () => {
    const { db, deps, send, delivery } = await setup();
    const { id } = await send();
    await recordBounce(db, deps, { deliveryId: id, bounce: MAILBOX_FULL });
    expect(await recordBounce(db, deps, { deliveryId: id, bounce: USER_UNKNOWN })).toMatchObject({ result: 'recorded', suppressed: true });
    expect(await delivery(id)).toMatchObject({ status: 'bounced', reason: 'unknown_user' });
    expect(await recordBounce(db, deps, { deliveryId: id, bounce: MAILBOX_FULL })).toMatchObject({
      result: 'ignored',
      reason: 'already_bounced',
    });
  });
});

describe('recordComplaint', () => {
  it('marks the delivery complained, writes Email Complained once and suppresses transactional mail too', async () => {
    const { db, deps, send, delivery, suppressions, events, policy } = await setup();
    const { id } = await send();
    const complaint = { deliveryId: id, feedbackType: 'abuse', userAgent: 'ExampleFBL/1.0' };
    expect(await recordComplaint(db, deps, complaint)).toMatchObject({ result: 'recorded', reason: 'complaint', suppressed: true });
    expect(await delivery(id)).toMatchObject({ status: 'complained', complained_at: new Date('2026-04-01T00:00:00Z') });
    expect(await suppressions()).toEqual([
      expect.objectContaining({ reason: 'complaint', source: 'arf', detail: 'abuse report from ExampleFBL/1.0' }),
    ]);
    expect(await events()).toEqual([
      ['Email Complained', { deliveryId: id, campaignId: null, feedbackType: 'abuse' }],
      ['Email Suppressed', { reason: 'complaint', source: 'arf', deliveryId: id }],
    ]);
    expect(await policy('transactional')).toBe('complaint');

    expect(await recordComplaint(db, deps, complaint)).toMatchObject({ result: 'duplicate' });
    expect(await recordBounce(db, deps, { deliveryId: id, bounce: USER_UNKNOWN })).toMatchObject({
      result: 'ignored',
      reason: 'already_complained',
    });
    expect((await events()).length).toBe(2);
  });

  it('ignores feedback that is not a complaint', async () => {
    const { db, deps, send, delivery, suppressions } = await setup();
    const { id } = await send();
    expect(await recordComplaint(db, deps, { deliveryId: id, feedbackType: 'not-spam' })).toMatchObject({
      result: 'ignored',
      reason: 'feedback_type_not-spam',
    });
    expect((await delivery(id)).status).toBe('sent');
    expect(await suppressions()).toEqual([]);
  });
});

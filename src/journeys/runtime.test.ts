import { describe, expect, it } from 'vitest';
import { DAY, HOUR, useJourneyKit } from './journey-kit.ts';
import { nextLocalTime } from './runtime.ts';

const { database, journeyWorkspace: setup } = useJourneyKit();

const send = (id: string, templateId: string, next?: string) => ({ id, type: 'send', templateId, ...(next ? { next } : {}) });
const wait = (id: string, duration: Record<string, number>, next?: string) => ({ id, type: 'wait', duration, ...(next ? { next } : {}) });

describe('the journey runtime', () => {
  it('cart abandonment: 1 h reminder, 24 h coupon, 3 days last chance — a shopper who buys after the reminder gets nothing more', async () => {
    const { templates, track, identify, publish, advance, run, mails, api } = await setup(['リマインダー', 'クーポン', '最後のご案内']);
    const journeyId = await publish({
      trigger: { type: 'event', selector: { event: 'Cart Abandoned' } },
      start: 'wait_1h',
      nodes: [
        wait('wait_1h', { hours: 1 }, 'reminder'),
        send('reminder', templates['リマインダー']!, 'wait_24h'),
        wait('wait_24h', { hours: 23 }, 'coupon'),
        send('coupon', templates['クーポン']!, 'wait_3d'),
        wait('wait_3d', { days: 2 }, 'last'),
        send('last', templates['最後のご案内']!),
      ],
      goals: [{ name: 'purchase', selector: { event: 'Order Completed' } }],
      reentry: { policy: 'every_time', eventKey: 'cartId', maxConcurrent: 3 },
    });
    const buyer = await identify('buyer@example.jp');
    const browser = await identify('browser@example.jp');
    await track('buyer@example.jp', 'Cart Abandoned', { cartId: 'c-1' });
    await track('browser@example.jp', 'Cart Abandoned', { cartId: 'c-2' });
    await run();
    await advance(HOUR);
    expect(mails('buyer@example.jp')).toEqual(['リマインダー']);
    expect(mails('browser@example.jp')).toEqual(['リマインダー']);
    // The buyer orders in the middle of the 23-hour wait: converted at once, not when the wait ends.
    await advance(2 * HOUR);
    await track('buyer@example.jp', 'Order Completed', { orderId: 'o-1' });
    await run();
    const trace = (await api(`/api/contacts/${buyer}/journeys`)).body.items;
    expect(trace[0]).toMatchObject({ status: 'converted', endReason: 'goal purchase', nodeId: 'wait_24h' });
    await advance(21 * HOUR); // 24 h after abandonment
    await advance(2 * DAY); // 3 days
    expect(mails('buyer@example.jp')).toEqual(['リマインダー']);
    expect(mails('browser@example.jp')).toEqual(['リマインダー', 'クーポン', '最後のご案内']);
    // Exact times: the reminder an hour after the abandonment, the coupon a day after, the last one three days after.
    const browserTrace = (await api(`/api/contacts/${browser}/journeys`)).body.items[0];
    const sent = browserTrace.steps.filter((s: { outcome: string }) => s.outcome === 'sent').map((s: { at: string }) => s.at);
    expect(sent).toEqual(['2026-04-01T02:00:00.000Z', '2026-04-02T01:00:00.000Z', '2026-04-04T01:00:00.000Z']);
    expect(browserTrace.status).toBe('completed');
    // The same cart again does not enrol twice; a new cart does.
    await track('browser@example.jp', 'Cart Abandoned', { cartId: 'c-2' });
    await track('browser@example.jp', 'Cart Abandoned', { cartId: 'c-3' });
    await run();
    expect((await api(`/api/contacts/${browser}/journeys`)).body.items).toHaveLength(2);
    const stats = (await api(`/api/journeys/${journeyId}/stats`)).body;
    expect(stats.enrolments).toEqual({ active: 1, completed: 1, converted: 1 });
  });

  it('contacts in flight keep their version: a goal dropped by v2 still converts a contact who entered v1', async () => {
    const { templates, track, identify, publish, run, api, advance, mails } = await setup(['v1 reminder', 'v2 reminder']);
    const journeyId = await publish({
      trigger: { type: 'event', selector: { event: 'Cart Abandoned' } },
      start: 'pause',
      nodes: [wait('pause', { hours: 1 }, 'remind'), send('remind', templates['v1 reminder']!)],
      goals: [{ name: 'purchase', selector: { event: 'Order Completed' } }],
    });
    const shopper = await identify('v1@example.jp');
    await track('v1@example.jp', 'Cart Abandoned');
    await run();
    // v2: another reminder and no goal; the shopper stays on v1 and its goal.
    await api(`/api/journeys/${journeyId}`, {
      method: 'PUT',
      json: {
        name: 'Journey',
        definition: {
          trigger: { type: 'event', selector: { event: 'Cart Abandoned' } },
          start: 'pause',
          nodes: [wait('pause', { hours: 1 }, 'remind'), send('remind', templates['v2 reminder']!)],
        },
      },
    });
    expect((await api(`/api/journeys/${journeyId}/publish`, { method: 'POST' })).status).toBe(200);
    await track('v1@example.jp', 'Order Completed');
    await run();
    await advance(2 * HOUR);
    expect(mails('v1@example.jp')).toEqual([]);
    expect((await api(`/api/contacts/${shopper}/journeys`)).body.items[0]).toMatchObject({ version: 1, status: 'converted' });
  });

  it('webinar: attendees get the thank-you, no-shows the recording (wait for an event with a timeout)', async () => {
    const { templates, track, identify, publish, advance, run, mails } = await setup([
      '参加登録ありがとうございます',
      'ご参加ありがとうございました',
      '録画のご案内',
    ]);
    await publish({
      trigger: { type: 'event', selector: { event: 'Webinar Registered' } },
      start: 'confirm',
      nodes: [
        send('confirm', templates['参加登録ありがとうございます']!, 'attended'),
        {
          id: 'attended',
          type: 'wait_for',
          selector: { event: 'Webinar Attended', where: [{ property: 'webinarId', operator: 'eq', value: 'w-12' }] },
          timeout: { days: 1 },
          next: { happened: 'thanks', timedOut: 'recording' },
        },
        send('thanks', templates['ご参加ありがとうございました']!),
        send('recording', templates['録画のご案内']!),
      ],
    });
    await identify('attendee@example.jp');
    await identify('noshow@example.jp');
    await track('attendee@example.jp', 'Webinar Registered', { webinarId: 'w-12' });
    await track('noshow@example.jp', 'Webinar Registered', { webinarId: 'w-12' });
    await run();
    await advance(3 * HOUR);
    // Attending another webinar is not this one.
    await track('noshow@example.jp', 'Webinar Attended', { webinarId: 'w-99' });
    await track('attendee@example.jp', 'Webinar Attended', { webinarId: 'w-12' });
    await run();
    expect(mails('attendee@example.jp')).toEqual(['参加登録ありがとうございます', 'ご参加ありがとうございました']);
    expect(mails('noshow@example.jp')).toEqual(['参加登録ありがとうございます']);
    await advance(DAY);
    expect(mails('noshow@example.jp')).toEqual(['参加登録ありがとうございます', '録画のご案内']);
    expect(mails('attendee@example.jp')).toEqual(['参加登録ありがとうございます', 'ご参加ありがとうございました']);
  });

  it('re-entry: once never again, after_exit only after the last enrolment ended, every_time up to maxConcurrent', async () => {
    const { app, ws, templates, identify, publish, api, run, advance } = await setup(['hello']);
    const journey = (policy: string) =>
      publish({
        trigger: { type: 'manual' },
        start: 'hello',
        nodes: [send('hello', templates.hello!, 'pause'), wait('pause', { days: 1 })],
        reentry: { policy, maxConcurrent: 2 },
      });
    const contact = await identify('again@example.jp');
    const enrol = async (id: string) => (await api(`/api/journeys/${id}/enrolments`, { json: { contactIds: [contact] } })).body;
    const once = await journey('once');
    const afterExit = await journey('after_exit');
    const everyTime = await journey('every_time');
    expect((await enrol(once)).enrolled).toHaveLength(1);
    expect((await enrol(afterExit)).enrolled).toHaveLength(1);
    expect((await enrol(everyTime)).enrolled).toHaveLength(1);
    await run();
    expect((await enrol(afterExit)).skipped).toEqual([{ contactId: contact, reason: 'still in the journey (re-entry: after exit)' }]);
    expect((await enrol(everyTime)).enrolled).toHaveLength(1);
    expect((await enrol(everyTime)).skipped[0].reason).toMatch(/maxConcurrent 2/);
    await advance(DAY); // every enrolment ends
    expect((await enrol(once)).skipped).toEqual([{ contactId: contact, reason: 'already enrolled once (re-entry: once)' }]);
    expect((await enrol(afterExit)).enrolled).toHaveLength(1);
    // Erasing the contact erases its journey history too (steps follow their enrolments).
    expect((await app.request(`/api/contacts/${contact}`, { key: ws.adminKey, method: 'DELETE' })).status).toBe(204);
    const { db } = database.current;
    const left = await db.selectFrom('journey_steps').select('id').where('workspace_id', '=', ws.workspaceId).execute();
    expect(left).toEqual([]);
  });

  it('fails the enrolments of a node that cannot run (a branch on a field deleted since) and goes on with the rest', async () => {
    const { templates, identify, publish, api, run, mails } = await setup(['プロ向け', 'ようこそ']);
    await api('/api/custom-fields', { json: { key: 'plan', label: 'Plan', type: 'text' } });
    const branching = await publish({
      trigger: { type: 'manual' },
      start: 'check',
      nodes: [
        {
          id: 'check',
          type: 'branch',
          branches: [{ condition: { type: 'field', field: 'custom.plan', operator: 'eq', value: 'pro' }, next: 'pro' }],
        },
        send('pro', templates['プロ向け']!),
      ],
    });
    const welcome = await publish({ trigger: { type: 'manual' }, start: 'hello', nodes: [send('hello', templates['ようこそ']!)] });
    expect((await api('/api/custom-fields/contact/plan', { method: 'DELETE' })).status).toBe(204);
    const a = await identify('a@example.jp');
    await api(`/api/journeys/${branching}/enrolments`, { json: { contactIds: [a] } });
    await api(`/api/journeys/${welcome}/enrolments`, { json: { contactIds: [a] } });
    await run();
    const traces = (await api(`/api/contacts/${a}/journeys`)).body.items;
    const failed = traces.find((t: { journeyId: string }) => t.journeyId === branching);
    expect(failed).toMatchObject({ status: 'failed', nodeId: 'check' });
    expect(failed.endReason).toMatch(/^node check: .*plan/);
    expect(traces.find((t: { journeyId: string }) => t.journeyId === welcome)).toMatchObject({ status: 'completed' });
    expect(mails('a@example.jp')).toEqual(['ようこそ']);
  });

  it('enrols on a segment entry (a signal of the decide stage) in the same way as on an event', async () => {
    const { templates, identify, publish, run, mails, api } = await setup(['佐藤様へのご案内']);
    const segment = (
      await api('/api/segments', {
        json: { name: '佐藤さん', definition: { condition: { type: 'field', field: 'lastName', operator: 'eq', value: '佐藤' } } },
      })
    ).body;
    await api(`/api/segments/${segment.id}/publish`, { method: 'POST' });
    await run();
    await publish({
      trigger: { type: 'segment_entered', segmentId: segment.id },
      start: 'hello',
      nodes: [send('hello', templates['佐藤様へのご案内']!)],
    });
    await identify('yamada@example.jp');
    const sato = await identify('sato@example.jp', { lastName: '佐藤' });
    await run();
    expect(mails('sato@example.jp')).toEqual(['佐藤様へのご案内']);
    expect(mails('yamada@example.jp')).toEqual([]);
    const trace = (await api(`/api/contacts/${sato}/journeys`)).body.items[0];
    expect(trace.steps.map((s: { outcome: string }) => s.outcome)).toEqual(['entered', 'sent', 'completed']);
    expect(trace.steps[0].detail).toEqual({ source: 'signal:segment.entered' });
    // A trigger naming a segment of no workspace is refused on publish, naming the field.
    const bad = await api('/api/journeys', {
      json: {
        name: 'bad',
        definition: {
          trigger: { type: 'segment_entered', segmentId: '00000000-0000-4000-8000-000000000000' },
          start: 'x',
          nodes: [{ id: 'x', type: 'exit' }],
        },
      },
    });
    const refused = await api(`/api/journeys/${bad.body.id}/publish`, { method: 'POST' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['draft.trigger.segmentId']);
  });

  it('waits until a time of day in the contact’s zone across a DST change (America/New_York)', async () => {
    // Saturday 2026-03-07 12:00 in New York (EST); clocks go forward on Sunday at 02:00.
    const saturdayNoon = new Date('2026-03-07T17:00:00Z');
    // Sunday 09:00 is EDT (UTC−4): 13:00Z, not 14:00Z.
    expect(nextLocalTime(saturdayNoon, 'America/New_York', '09:00').toISOString()).toBe('2026-03-08T13:00:00.000Z');
    // Weekdays only: Monday 09:00 EDT.
    expect(nextLocalTime(saturdayNoon, 'America/New_York', '09:00', [1, 2, 3, 4, 5]).toISOString()).toBe('2026-03-09T13:00:00.000Z');
    // Tokyo has no DST: 09:00 JST is 00:00Z.
    expect(nextLocalTime(new Date('2026-03-07T03:00:00Z'), 'Asia/Tokyo', '09:00').toISOString()).toBe('2026-03-08T00:00:00.000Z');

    const { app, templates, identify, publish, api, run } = await setup(['朝のご案内']);
    app.clock.set(saturdayNoon);
    await publish({
      trigger: { type: 'manual' },
      start: 'morning',
      nodes: [{ id: 'morning', type: 'wait', until: { time: '09:00' }, next: 'mail' }, send('mail', templates['朝のご案内']!)],
    });
    const contact = await identify('ny@example.com', { timezone: 'America/New_York' });
    const journeyId = (await api('/api/journeys')).body.items[0].id;
    await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds: [contact] } });
    await run();
    const trace = (await api(`/api/contacts/${contact}/journeys`)).body.items[0];
    expect(trace).toMatchObject({ status: 'active', nodeId: 'morning', wakeAt: '2026-03-08T13:00:00.000Z' });
  });
});

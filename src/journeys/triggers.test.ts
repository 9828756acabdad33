import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DAY, HOUR, useJourneyKit } from './journey-kit.ts';

const { database, journeyWorkspace } = useJourneyKit();

const send = (id: string, templateId: string, next?: string) => ({ id, type: 'send', templateId, ...(next ? { next } : {}) });

/** When each message to a contact was sent, oldest first, as [subject-less template id, ISO time]. */
async function sentTimes(contactId: string): Promise<[string, string][]> {
  const rows = await database.current.db
    .selectFrom('deliveries')
    .select(['template_id', 'sent_at'])
    .where('contact_id', '=', contactId)
    .where('status', '=', 'sent')
    .orderBy('sent_at')
    .execute();
  return rows.map((r) => [r.template_id!, r.sent_at!.toISOString()]);
}

describe('journey triggers, goals and waits', () => {
  it('a stage goal converts a contact mid-wait when sales moves it to SQL or past it', async () => {
    const { templates, identify, publish, advance, run, api, mails } = await journeyWorkspace(['nurture 1', 'nurture 2']);
    const journeyId = await publish({
      trigger: { type: 'manual' },
      start: 'one',
      nodes: [
        send('one', templates['nurture 1']!, 'week'),
        { id: 'week', type: 'wait', duration: { days: 7 }, next: 'two' },
        send('two', templates['nurture 2']!),
      ],
      goals: [{ name: 'Sales qualified', stage: 'SQL' }],
    });
    const sql = await identify('sql@example.jp');
    const opportunity = await identify('opp@example.jp');
    const stays = await identify('stays@example.jp');
    await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds: [sql, opportunity, stays] } });
    await run();
    await advance(2 * DAY);
    expect((await api(`/api/contacts/${sql}/stage`, { method: 'POST', json: { stage: 'SQL' } })).status).toBe(200);
    expect((await api(`/api/contacts/${opportunity}/stage`, { method: 'POST', json: { stage: 'Opportunity' } })).status).toBe(200);
    await run();
    await advance(6 * DAY);
    expect(mails('sql@example.jp')).toEqual(['nurture 1']);
    expect(mails('opp@example.jp')).toEqual(['nurture 1']);
    expect(mails('stays@example.jp')).toEqual(['nurture 1', 'nurture 2']);
    const stats = (await api(`/api/journeys/${journeyId}/stats`)).body;
    expect(stats.enrolments).toMatchObject({ converted: 2, completed: 1 });
  });

  it('enrolWhen: the third pricing view in 30 days enrols (once); the first two and the fourth do not', async () => {
    const { templates, identify, publish, run, api, mails, app, ws } = await journeyWorkspace(['料金資料']);
    const journeyId = await publish({
      trigger: { type: 'event', selector: { call: 'page', where: [{ property: 'path', operator: 'eq', value: '/pricing' }] } },
      enrolWhen: {
        type: 'event',
        call: 'page',
        where: [{ property: 'path', operator: 'eq', value: '/pricing' }],
        count: { operator: 'at_least', value: 3 },
        within: { lastDays: 30 },
      },
      start: 'doc',
      nodes: [send('doc', templates['料金資料']!)],
      reentry: { policy: 'once' },
    });
    const contact = await identify('pricing@example.jp');
    const view = async () => {
      const res = await app.request('/v1/page', {
        key: ws.writeKey,
        json: { userId: 'pricing@example.jp', name: 'Pricing', properties: { path: '/pricing' } },
      });
      expect(res.status).toBe(200);
      await run();
    };
    await view();
    await view();
    expect(mails('pricing@example.jp')).toEqual([]);
    await view();
    expect(mails('pricing@example.jp')).toEqual(['料金資料']);
    await view();
    expect(mails('pricing@example.jp')).toEqual(['料金資料']);
    const trace = (await api(`/api/contacts/${contact}/journeys`)).body;
    expect(trace.items.filter((t: { journeyId: string }) => t.journeyId === journeyId)).toHaveLength(1);
  });

  it("waits until the trigger event's date: 3 days before at 09:00 local, then 60 minutes before the start", async () => {
    const { templates, identify, track, publish, run, advanceUntil } = await journeyWorkspace(['3 日前', '1 時間前']);
    await publish({
      trigger: { type: 'event', selector: { event: 'Webinar Registered' } },
      start: 'before3',
      nodes: [
        { id: 'before3', type: 'wait', untilDate: { field: 'event.startsAt', offsetDays: -3, time: '09:00' }, next: 'three' },
        send('three', templates['3 日前']!, 'before1h'),
        { id: 'before1h', type: 'wait', untilDate: { field: 'event.startsAt', offsetMinutes: -60 }, next: 'hour' },
        send('hour', templates['1 時間前']!),
      ],
    });
    // Now: 2026-04-01 10:00 Tokyo. The webinar: 2026-04-10 15:00 Tokyo (06:00Z).
    const contact = await identify('webinar@example.jp');
    await track('webinar@example.jp', 'Webinar Registered', { startsAt: '2026-04-10T06:00:00Z' });
    await run();
    await advanceUntil(new Date('2026-04-11T00:00:00Z'));
    expect(await sentTimes(contact)).toEqual([
      [templates['3 日前'], '2026-04-07T00:00:00.000Z'],
      [templates['1 時間前'], '2026-04-10T05:00:00.000Z'],
    ]);
  });

  it('a business-hours wait counts only weekday office hours in the contact time zone', async () => {
    const { app, templates, identify, publish, api, run, advanceUntil } = await journeyWorkspace(['follow-up']);
    const journeyId = await publish({
      trigger: { type: 'manual' },
      start: 'pause',
      nodes: [
        { id: 'pause', type: 'wait', duration: { hours: 4 }, businessHours: {}, next: 'mail' },
        send('mail', templates['follow-up']!),
      ],
    });
    // Friday 2026-04-03 16:00 Tokyo: 2 hours left on Friday, 2 on Monday → Monday 11:00 Tokyo.
    app.clock.set(new Date('2026-04-03T07:00:00Z'));
    const contact = await identify('bh@example.jp', { timezone: 'Asia/Tokyo' });
    await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds: [contact] } });
    await run();
    await advanceUntil(new Date('2026-04-08T00:00:00Z'));
    expect(await sentTimes(contact)).toEqual([[templates['follow-up'], '2026-04-06T02:00:00.000Z']]);
  });

  it('date triggers: 3 days before a trial ends at 09:00 local, and a birthday every year — each occurrence once', async () => {
    const { app, templates, identify, publish, api, advance } = await journeyWorkspace(['trial ends soon', 'happy birthday']);
    for (const [key, label] of [
      ['trial_ends_at', 'Trial ends'],
      ['birthday', 'Birthday'],
    ])
      expect((await api('/api/custom-fields', { json: { key, label, type: 'date' } })).status).toBe(201);
    await publish({
      trigger: { type: 'date', field: 'custom.trial_ends_at', offsetDays: -3, time: '09:00' },
      start: 'mail',
      nodes: [send('mail', templates['trial ends soon']!)],
      reentry: { policy: 'every_time', maxConcurrent: 5 },
    });
    await publish({
      trigger: { type: 'date', field: 'custom.birthday', time: '09:00', yearly: true },
      start: 'mail',
      nodes: [send('mail', templates['happy birthday']!)],
      reentry: { policy: 'every_time', maxConcurrent: 5 },
    });
    // 2026-04-01 10:00 Tokyo; the trial ends 2026-04-06, so the mail goes 2026-04-03 09:00 Tokyo.
    const trial = await identify('trial@example.jp', { trial_ends_at: '2026-04-06' });
    const birthday = await identify('bday@example.jp', { birthday: '1990-04-02' });
    const past = await identify('past@example.jp', { trial_ends_at: '2026-03-01' });
    for (let i = 0; i < 4 * 24; i++) await advance(HOUR);
    expect(await sentTimes(trial)).toEqual([[templates['trial ends soon'], '2026-04-03T00:00:00.000Z']]);
    expect(await sentTimes(birthday)).toEqual([[templates['happy birthday'], '2026-04-02T00:00:00.000Z']]);
    expect(await sentTimes(past)).toEqual([]);
    // A year later: the birthday comes round again; the trial does not.
    app.clock.set(new Date('2027-04-01T00:00:00Z'));
    for (let i = 0; i < 2 * 24; i++) await advance(HOUR);
    expect((await sentTimes(birthday)).map(([, at]) => at)).toEqual(['2026-04-02T00:00:00.000Z', '2027-04-02T00:00:00.000Z']);
    expect(await sentTimes(trial)).toHaveLength(1);
  });

  it('publishing with a node map moves contacts in flight to the new version; the rest drain on theirs', async () => {
    const { templates, identify, publish, api, run, advance, mails } = await journeyWorkspace(['welcome', 'old tip', 'new tip']);
    const v1 = {
      trigger: { type: 'manual' },
      start: 'welcome',
      nodes: [
        send('welcome', templates.welcome!, 'pause'),
        { id: 'pause', type: 'wait', duration: { days: 2 }, next: 'tip' },
        send('tip', templates['old tip']!),
      ],
    };
    const journeyId = await publish(v1);
    const early = await identify('early@example.jp');
    await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds: [early] } });
    await run();
    await advance(DAY);
    const v2 = {
      ...v1,
      nodes: [
        send('welcome', templates.welcome!, 'wait2'),
        { id: 'wait2', type: 'wait', duration: { days: 2 }, next: 'tip2' },
        send('tip2', templates['new tip']!),
      ],
    };
    expect((await api(`/api/journeys/${journeyId}`, { method: 'PUT', json: { name: 'Journey', definition: v2 } })).status).toBe(200);
    const bad = await api(`/api/journeys/${journeyId}/publish`, { method: 'POST', json: { nodeMap: { pause: 'nowhere', gone: 'wait2' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.nodeMap.gone', 'body.nodeMap.pause']);
    expect((await api(`/api/journeys/${journeyId}`)).body.publishedVersion).toBe(1);

    expect((await api(`/api/journeys/${journeyId}/publish`, { method: 'POST', json: { nodeMap: { pause: 'wait2' } } })).status).toBe(200);
    // A contact entering v2, then v3 published without a map: it drains on v2.
    const drains = await identify('drains@example.jp');
    await api(`/api/journeys/${journeyId}/enrolments`, { json: { contactIds: [drains] } });
    await run();
    const v3 = { ...v2, nodes: [send('welcome', templates.welcome!, 'wait2'), { id: 'wait2', type: 'wait', duration: { days: 2 } }] };
    expect((await api(`/api/journeys/${journeyId}`, { method: 'PUT', json: { name: 'Journey', definition: v3 } })).status).toBe(200);
    expect((await api(`/api/journeys/${journeyId}/publish`, { method: 'POST' })).status).toBe(200);
    await advance(DAY); // early's wait (2 days from day 0) ends now: its wake time was kept through the move.
    expect(mails('early@example.jp')).toEqual(['welcome', 'new tip']);
    await advance(DAY);
    expect(mails('drains@example.jp')).toEqual(['welcome', 'new tip']);
    const trace = (await api(`/api/contacts/${early}/journeys`)).body.items[0];
    expect(trace.version).toBe(2);
    expect(trace.steps.map((s: { nodeId: string; outcome: string }) => `${s.nodeId}:${s.outcome}`)).toContain('wait2:migrated');
  });

  it('enrols from a CSV by email (or id); rows naming nobody come back with their line', async () => {
    const { app, ws, templates, identify, publish, run, mails } = await journeyWorkspace(['invite']);
    const journeyId = await publish({ trigger: { type: 'manual' }, start: 'mail', nodes: [send('mail', templates.invite!)] });
    await identify('a@example.jp');
    await identify('b@example.jp');
    const res = await app.request(`/api/journeys/${journeyId}/enrolments`, {
      key: ws.adminKey,
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: '\uFEFFname,Email\n花子,A@Example.jp\n太郎,b@example.jp\n誰か,nobody@example.jp\n',
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.enrolled).toHaveLength(2);
    expect(body.unmatched).toEqual([{ line: 4, value: 'nobody@example.jp', message: 'no such contact in this workspace' }]);
    await run();
    expect(mails('a@example.jp')).toEqual(['invite']);
    const bad = await app.request(`/api/journeys/${journeyId}/enrolments`, {
      key: ws.adminKey,
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'name\n花子\n',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].message).toMatch(/"email" or "id" column/);
    // Japanese Excel's CSV is Shift_JIS: read like a list upload.
    const sjis = await app.request(`/api/journeys/${journeyId}/enrolments`, {
      key: ws.adminKey,
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: new Blob([new Uint8Array(iconv.encode('氏名,メールアドレス\n花子,a@example.jp\n', 'Shift_JIS'))]),
    });
    expect(sjis.status).toBe(200);
    expect(await sjis.json()).toMatchObject({ enrolled: [{ contactId: expect.any(String) }], unmatched: [] });
  });
});

import { describe, expect, it } from 'vitest';
import { HOUR, useJourneyKit } from './journey-kit.ts';

const { database, journeyWorkspace } = useJourneyKit();

const send = (id: string, templateId: string, next?: string) => ({ id, type: 'send', templateId, ...(next ? { next } : {}) });

describe('journey simulation', () => {
  it('replays stored history into the same per-node counts as really running the journey, and sends nothing', async () => {
    const { app, api, templates, identify, track, publish, advanceUntil, mails } = await journeyWorkspace([
      'reminder',
      'coupon',
      'last chance (ja)',
      'last chance (en)',
    ]);
    const definition = {
      trigger: { type: 'event', selector: { event: 'Cart Abandoned' } },
      start: 'hour',
      nodes: [
        { id: 'hour', type: 'wait', duration: { hours: 1 }, next: 'reminder' },
        send('reminder', templates.reminder!, 'viewed'),
        {
          id: 'viewed',
          type: 'wait_for',
          selector: { event: 'Cart Viewed' },
          timeout: { days: 1 },
          next: { happened: 'coupon', timedOut: 'language' },
        },
        send('coupon', templates.coupon!),
        {
          id: 'language',
          type: 'branch',
          branches: [{ condition: { type: 'field', field: 'locale', operator: 'eq', value: 'ja' }, next: 'last_ja' }],
          else: 'last_en',
        },
        send('last_ja', templates['last chance (ja)']!),
        send('last_en', templates['last chance (en)']!),
      ],
      goals: [{ name: 'Purchase', selector: { event: 'Order Completed' } }],
      reentry: { policy: 'every_time', eventKey: 'cartId', maxConcurrent: 2 },
    };
    const start = app.clock.now();
    // Twelve shoppers with scripted behaviour over four days: abandon, view, buy, abandon again.
    const script: [number, string, string, Record<string, unknown>][] = [];
    const people: string[] = [];
    for (let n = 0; n < 12; n++) {
      const email = `shopper${n}@example.jp`;
      people.push(await identify(email, { locale: n % 3 === 0 ? 'en' : 'ja' }));
      script.push([n * 0.25 * HOUR, email, 'Cart Abandoned', { cartId: `c${n}` }]);
      if (n % 4 === 1) script.push([n * 0.25 * HOUR + 0.5 * HOUR, email, 'Order Completed', { cartId: `c${n}` }]);
      if (n % 4 === 2) script.push([n * 0.25 * HOUR + 5 * HOUR, email, 'Cart Viewed', {}]);
      if (n % 4 === 3) script.push([n * 0.25 * HOUR + 30 * HOUR, email, 'Order Completed', {}]);
      if (n % 6 === 0) script.push([n * 0.25 * HOUR + 40 * HOUR, email, 'Cart Abandoned', { cartId: `c${n}-2` }]);
    }
    script.sort((a, b) => a[0] - b[0]);

    const real = await publish(definition);
    for (const [offset, email, event, properties] of script) {
      await advanceUntil(new Date(start.getTime() + offset));
      await track(email, event, properties);
    }
    const end = new Date(start.getTime() + 4 * 24 * HOUR);
    await advanceUntil(end);
    const realStats = (await api(`/api/journeys/${real}/stats`)).body;
    expect(realStats.enrolments.active ?? 0).toBe(0);
    const sent = people.reduce((n, _, i) => n + mails(`shopper${i}@example.jp`).length, 0);
    expect(sent).toBeGreaterThan(12);

    // The same definition as a draft, simulated over the same window of stored events.
    const draft = (await api('/api/journeys', { json: { name: 'Cart (draft)', definition } })).body;
    const deliveriesBefore = await database.current.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const simulated = await api(`/api/journeys/${draft.id}/simulate`, {
      json: { from: start.toISOString(), to: end.toISOString() },
    });
    expect(simulated.status, JSON.stringify(simulated.body)).toBe(200);
    const report = simulated.body;
    expect(report.stats).toEqual(realStats);
    expect(report.entered).toBe(Object.values(realStats.enrolments as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(report.conversions).toEqual({ Purchase: realStats.enrolments.converted });
    expect(report.messages).toHaveLength(sent);
    expect(report.replayed.events).toBe(script.length);

    // Nothing was sent or kept: no new mail, no new delivery, the draft still a draft with nobody in it.
    await advanceUntil(new Date(end.getTime() + 24 * HOUR));
    expect(people.reduce((n, _, i) => n + mails(`shopper${i}@example.jp`).length, 0)).toBe(sent);
    expect(
      await database.current.db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow(),
    ).toEqual(deliveriesBefore);
    expect((await api(`/api/journeys/${draft.id}`)).body.status).toBe('draft');
    expect((await api(`/api/journeys/${draft.id}/stats`)).body.enrolments).toEqual({});
    expect(await database.current.db.selectFrom('journeys').select('id').where('name', 'like', 'simulation of%').execute()).toEqual([]);
  });

  it('refuses a bad window or definition, naming the field', async () => {
    const { api, templates } = await journeyWorkspace(['x']);
    const draft = (
      await api('/api/journeys', {
        json: { name: 'Manual', definition: { trigger: { type: 'manual' }, start: 'a', nodes: [send('a', templates.x!)] } },
      })
    ).body;
    const simulate = (json: unknown) => api(`/api/journeys/${draft.id}/simulate`, { method: 'POST', json });
    const paths = async (json: unknown) => {
      const res = await simulate(json);
      expect(res.status).toBe(400);
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await paths({ from: '2026-03-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })).toEqual(['body.to']);
    expect(await paths({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' })).toEqual(['body.enrol']);
    expect(
      await paths({
        from: '2026-03-01T00:00:00Z',
        to: '2026-04-01T00:00:00Z',
        definition: { trigger: { type: 'manual' }, start: 'a', nodes: [send('a', templates.x!, 'nowhere')] },
      }),
    ).toEqual(['definition.nodes.0.next']);
  });
});

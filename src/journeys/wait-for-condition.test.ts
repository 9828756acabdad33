import { describe, expect, it } from 'vitest';
import { HOUR, useJourneyKit } from './journey-kit.ts';
import { CONDITION_RECHECK_MS } from './runtime.ts';

const { journeyWorkspace } = useJourneyKit();

const MINUTE = 60_000;
const send = (id: string, templateId: string) => ({ id, type: 'send', templateId });
/** Sales-ready: the stage is SQL, or a job title is known. */
const salesReady = {
  type: 'or',
  conditions: [
    { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'SQL' },
    { type: 'field', field: 'jobTitle', operator: 'is_set' },
  ],
};
const waitForSalesReady = (timeout: Record<string, number>) => ({
  id: 'ready',
  type: 'wait_for',
  condition: salesReady,
  timeout,
  next: { happened: 'sales', timedOut: 'nurture' },
});

describe('wait_for a condition', () => {
  it('leaves through happened at once, on a stage signal at once, on a field change at the next re-check, and times out at the deadline', async () => {
    const { app, api, templates, identify, publish, enrol, trace, run, advanceUntil, mails } = await journeyWorkspace(['sales', 'nurture']);
    const start = app.clock.now();
    const at = (ms: number) => new Date(start.getTime() + ms).toISOString();
    const journeyId = await publish({
      trigger: { type: 'manual' },
      start: 'ready',
      // 3 h 10 min: the deadline falls between two re-checks.
      nodes: [waitForSalesReady({ hours: 3, minutes: 10 }), send('sales', templates.sales!), send('nurture', templates.nurture!)],
    });
    const already = await identify('already@example.jp');
    const staged = await identify('staged@example.jp');
    const titled = await identify('titled@example.jp');
    const never = await identify('never@example.jp');
    expect((await api(`/api/contacts/${already}/stage`, { method: 'POST', json: { stage: 'SQL' } })).status).toBe(200);
    await enrol(journeyId, [already, staged, titled, never]);
    await run();

    // Already sales-ready: through happened at once.
    const first = await trace(already);
    expect(first.steps.find((s) => s.nodeId === 'ready' && s.outcome !== 'entered')).toMatchObject({ outcome: 'happened', at: at(0) });
    expect(mails('already@example.jp')).toEqual(['sales']);
    // The others wait, the deadline kept, the next re-check due.
    expect(await trace(never)).toMatchObject({
      status: 'active',
      nodeId: 'ready',
      waitDeadline: at(3 * HOUR + 10 * MINUTE),
      wakeAt: at(CONDITION_RECHECK_MS),
    });

    // 1 h 05: a sales rep moves one to SQL (a signal: re-checked at once) and fills in another's job title (no signal).
    await advanceUntil(new Date(start.getTime() + HOUR + 5 * MINUTE));
    expect((await api(`/api/contacts/${staged}/stage`, { method: 'POST', json: { stage: 'SQL' } })).status).toBe(200);
    expect((await api(`/api/contacts/${titled}`, { method: 'PATCH', json: { jobTitle: '情報システム部長' } })).status).toBe(200);
    await run();
    const byStage = await trace(staged);
    expect(byStage.steps.find((s) => s.outcome === 'happened')).toMatchObject({ nodeId: 'ready', at: at(HOUR + 5 * MINUTE) });
    expect((await trace(titled)).status).toBe('active');

    await advanceUntil(new Date(start.getTime() + 4 * HOUR));
    // The job title was seen at the next re-check, 1 h 15 after arrival.
    expect((await trace(titled)).steps.find((s) => s.outcome === 'happened')).toMatchObject({
      nodeId: 'ready',
      at: at(HOUR + 15 * MINUTE),
    });
    // Never sales-ready: timed out exactly at the deadline, not at a re-check.
    const late = await trace(never);
    expect(late.steps.find((s) => s.nodeId === 'ready' && !['entered', 'waiting'].includes(s.outcome))).toMatchObject({
      outcome: 'timed_out',
      at: at(3 * HOUR + 10 * MINUTE),
    });
    expect(late).toMatchObject({ status: 'completed', waitDeadline: null });
    // One waiting step per contact however many re-checks: the trace says what happened, not how often we looked.
    expect(late.steps.map((s) => `${s.nodeId}:${s.outcome}`)).toEqual([
      'ready:entered',
      'ready:waiting',
      'ready:timed_out',
      'nurture:sent',
      'nurture:completed',
    ]);
    expect([mails('staged@example.jp'), mails('titled@example.jp'), mails('never@example.jp')]).toEqual([
      ['sales'],
      ['sales'],
      ['nurture'],
    ]);
    const stats = (await api(`/api/journeys/${journeyId}/stats`)).body;
    expect(stats.nodes.find((n: { nodeId: string }) => n.nodeId === 'ready').outcomes).toMatchObject({ happened: 3, timed_out: 1 });
  });

  it('a bad condition is a 400 naming the node, and nothing is published', async () => {
    const { api, templates } = await journeyWorkspace(['sales', 'nurture']);
    const definition = (ready: Record<string, unknown>) => ({
      trigger: { type: 'manual' },
      start: 'ready',
      nodes: [
        { id: 'ready', type: 'wait_for', timeout: { days: 7 }, next: { happened: 'sales', timedOut: 'nurture' }, ...ready },
        send('sales', templates.sales!),
        send('nurture', templates.nurture!),
      ],
    });
    const created = await api('/api/journeys', { json: { name: 'Bad wait', definition: definition({ selector: { event: 'Demo' } }) } });
    expect(created.status).toBe(201);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { condition: { type: 'field', field: 'budgetOwner', operator: 'is_set' } },
        'draft.nodes.0.condition.field',
        /wait_for node "ready".*budgetOwner/,
      ],
      [
        { selector: { event: 'Demo' }, condition: salesReady },
        'draft.nodes.0',
        /wait_for node "ready": a wait-for needs exactly one of selector .* or condition/,
      ],
      [{}, 'draft.nodes.0', /exactly one of selector .* or condition .*\(got neither\)/],
    ];
    for (const [ready, path, message] of cases) {
      const res = await api(`/api/journeys/${created.body.id}`, {
        method: 'PUT',
        json: { name: 'Bad wait', definition: definition(ready) },
      });
      const published = res.status === 200 ? await api(`/api/journeys/${created.body.id}/publish`, { method: 'POST' }) : res;
      expect(published.status, JSON.stringify(published.body)).toBe(400);
      const error = published.body.errors.find((e: { path: string }) => e.path === path);
      expect(error?.message, JSON.stringify(published.body)).toMatch(message);
    }
    // Without a timeout exit: the rule of every wait_for.
    const noTimeout = definition({ condition: salesReady });
    (noTimeout.nodes[0] as { next: Record<string, string> }).next = { happened: 'sales' };
    const res = await api(`/api/journeys/${created.body.id}/validate`, { json: { definition: noTimeout } });
    expect(res.body.issues.map((e: { path: string }) => e.path)).toContain('definition.nodes.0.next.timedOut');
    // A condition that already holds passes at once: a loop through its happened exit needs a wait of its own.
    const loop = definition({ condition: salesReady });
    loop.nodes[0] = { ...loop.nodes[0], next: { happened: 'mark', timedOut: 'nurture' } } as (typeof loop.nodes)[0];
    loop.nodes[1] = { id: 'mark', type: 'tag', add: ['ready'], next: 'ready' } as unknown as (typeof loop.nodes)[1];
    const looping = await api(`/api/journeys/${created.body.id}/validate`, { json: { definition: loop } });
    expect(looping.body.issues.map((e: { message: string }) => e.message).join('\n')).toMatch(
      /is on a cycle without a wait \(ready → mark → ready\)/,
    );
    const journey = (await api(`/api/journeys/${created.body.id}`)).body;
    expect(journey).toMatchObject({ status: 'draft', publishedVersion: null });
  });

  it('the simulation re-checks on its virtual clock as the worker does', async () => {
    const { app, api, templates, identify, track } = await journeyWorkspace(['sales', 'nurture']);
    const start = app.clock.now();
    await identify('titled@example.jp', { jobTitle: 'CTO' });
    await identify('plain@example.jp');
    await track('titled@example.jp', 'Trial Started');
    await track('plain@example.jp', 'Trial Started');
    app.clock.advance(2 * HOUR);
    const created = await api('/api/journeys', {
      json: {
        name: 'Trial',
        definition: {
          trigger: { type: 'event', selector: { event: 'Trial Started' } },
          start: 'ready',
          nodes: [waitForSalesReady({ minutes: 40 }), send('sales', templates.sales!), send('nurture', templates.nurture!)],
        },
      },
    });
    const report = await api(`/api/journeys/${created.body.id}/simulate`, {
      json: { from: start.toISOString(), to: new Date(start.getTime() + HOUR).toISOString() },
    });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    const ready = report.body.stats.nodes.find((n: { nodeId: string }) => n.nodeId === 'ready');
    expect(ready.outcomes).toMatchObject({ happened: 1, timed_out: 1 });
    const nurture = report.body.messages.find((m: { nodeId: string }) => m.nodeId === 'nurture');
    expect(nurture.at).toBe(new Date(start.getTime() + 40 * MINUTE).toISOString());
  });
});

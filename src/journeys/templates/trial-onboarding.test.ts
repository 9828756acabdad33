import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the trial onboarding template', () => {
  it('sends Day 0/1/3/5/10/14; without a login for 3 days the nudge replaces the planned mail, a user who logs in never gets it', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { journeyId, templateIds } = await world.install('trial_onboarding', { appUrl: 'https://app.example.jp/' });
    const active = await world.identify('active@example.jp');
    const idle = await world.identify('idle@example.jp');
    const payer = await world.identify('payer@example.jp');
    for (const email of ['active@example.jp', 'idle@example.jp', 'payer@example.jp'])
      await world.track(email, 'Trial Started', { plan: 'pro' });
    await world.advanceTo('2026-04-03T03:00:00Z');
    await world.track('active@example.jp', 'Logged In');
    await world.track('payer@example.jp', 'Logged In');
    await world.advanceTo('2026-04-05T00:00:00Z');
    await world.track('payer@example.jp', 'Subscription Started', { plan: 'pro' });
    await world.advanceTo('2026-04-09T03:00:00Z');
    await world.track('active@example.jp', 'Logged In');
    await world.advanceTo('2026-04-16T00:00:00Z');

    expect(await world.sent(active, templateIds)).toEqual([
      'day0 2026-04-01T01:00:00.000Z',
      'day1 2026-04-02T01:00:00.000Z',
      'day3 2026-04-04T01:00:00.000Z',
      'day5 2026-04-06T01:00:00.000Z',
      'day10 2026-04-11T01:00:00.000Z',
      'day14 2026-04-15T01:00:00.000Z',
    ]);
    expect(await world.sent(idle, templateIds)).toEqual([
      'day0 2026-04-01T01:00:00.000Z',
      'day1 2026-04-02T01:00:00.000Z',
      'nudge 2026-04-04T01:00:00.000Z',
      'day5 2026-04-06T01:00:00.000Z',
      'nudge 2026-04-11T01:00:00.000Z',
      'day14 2026-04-15T01:00:00.000Z',
    ]);
    // Subscribing on day 4 ends the trial series at once.
    expect(await world.sent(payer, templateIds)).toEqual([
      'day0 2026-04-01T01:00:00.000Z',
      'day1 2026-04-02T01:00:00.000Z',
      'day3 2026-04-04T01:00:00.000Z',
    ]);
    expect(await world.enrolment(payer, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal subscribed' });
    expect(world.inbox('active@example.jp')).not.toContain('お困りのことはありませんか？');
    expect(world.inbox('idle@example.jp').filter((s) => s === 'お困りのことはありませんか？')).toHaveLength(2);
    expect(mail.sink.list({ workspaceId: world.workspaceId })).toHaveLength(15);
  });
});

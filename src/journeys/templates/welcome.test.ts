import { describe, expect, it } from 'vitest';
import { createForm } from '../../forms/forms.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the welcome series template', () => {
  it('sends Day 0/2/5/8/14 after a form sign-up; starting a paid plan ends it', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const form = await createForm(
      world.db,
      world.workspaceId,
      {
        name: 'ニュースレター登録',
        fields: [
          { key: 'email', label: 'メール', type: 'email' },
          { key: 'lastName', label: '姓' },
        ],
      },
      world.clock,
    );
    const { journeyId, templateIds } = await world.install('welcome', { formId: form.id, siteUrl: 'https://www.example.jp/' });
    expect(await world.submitForm(form.id, { email: 'new@example.jp', lastName: '佐藤' })).toMatchObject({ ok: true });
    expect(await world.submitForm(form.id, { email: 'upgrader@example.jp', lastName: '鈴木' })).toMatchObject({ ok: true });
    // The app identifies the new user (by user id and email); a week later they subscribe.
    await world.identify('upgrader@example.jp', { lastName: '鈴木' });
    await world.advanceTo('2026-04-07T03:00:00Z');
    await world.track('upgrader@example.jp', 'Subscription Started', { plan: 'team' });
    await world.advanceTo('2026-04-16T00:00:00Z');

    const fresh = await world.contactId('new@example.jp');
    const upgrader = await world.contactId('upgrader@example.jp');
    expect(await world.sent(fresh, templateIds)).toEqual([
      'day0 2026-04-01T01:00:00.000Z',
      'day2 2026-04-03T01:00:00.000Z',
      'day5 2026-04-06T01:00:00.000Z',
      'day8 2026-04-09T01:00:00.000Z',
      'day14 2026-04-15T01:00:00.000Z',
    ]);
    expect(await world.sent(upgrader, templateIds)).toEqual([
      'day0 2026-04-01T01:00:00.000Z',
      'day2 2026-04-03T01:00:00.000Z',
      'day5 2026-04-06T01:00:00.000Z',
    ]);
    expect(await world.enrolment(upgrader, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal upgraded' });
    expect(world.inbox('new@example.jp')).toEqual([
      'ご登録ありがとうございます',
      '基本の使い方を3ステップでご紹介します',
      '同じ課題を解決した企業の事例',
      'もっと便利に使える機能と限定ウェビナーのご案内',
      '有料プランでできること',
    ]);
    const first = mail.sink
      .list({ workspaceId: world.workspaceId })
      .find((m) => m.to === 'new@example.jp' && m.subject === 'ご登録ありがとうございます')!;
    expect(first.text).toContain('佐藤 様');
    expect(first.headers['list-unsubscribe']).toBeDefined();
    expect(mail.sink.list({ workspaceId: world.workspaceId })).toHaveLength(8);
  });
});

import { describe, expect, it } from 'vitest';
import { publishLifecycle, saveLifecycleDraft } from '../../lifecycle/lifecycle.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

describe('the pricing interest template', () => {
  it('on the third pricing view within 30 days: one notification to sales and the pricing document, a demo follow-up 2 days later; the 4th view does nothing more', async () => {
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { db, clock, workspaceId } = world;
    await saveLifecycleDraft(db, workspaceId, { definition: { handoff: { salesUsers: [{ email: 'sato@sales.example.jp' }] } } }, clock);
    await publishLifecycle(db, workspaceId, clock);
    const { journeyId, templateIds } = await world.install('pricing_interest', {
      pricingDocumentUrl: 'https://www.example.jp/files/pricing-2026.pdf',
      demoUrl: 'https://www.example.jp/demo',
    });
    const keen = await world.identify('keen@example.jp', { companyName: '株式会社熱心' });
    await world.identify('casual@example.jp');
    await world.page('keen@example.jp', '/pricing');
    await world.page('casual@example.jp', '/pricing');
    await world.page('keen@example.jp', '/blog/ma-basics');
    await world.advanceTo('2026-04-03T01:00:00Z');
    await world.page('keen@example.jp', '/pricing');
    await world.page('casual@example.jp', '/pricing');
    await world.advanceTo('2026-04-05T01:00:00Z');
    expect(world.inbox('keen@example.jp')).toEqual([]);
    await world.page('keen@example.jp', '/pricing'); // the third view
    await world.run();
    expect(world.inbox('keen@example.jp')).toEqual(['料金詳細資料をお送りします']);
    await world.advanceTo('2026-04-06T01:00:00Z');
    await world.page('keen@example.jp', '/pricing'); // the fourth
    await world.advanceTo('2026-04-10T00:00:00Z');

    expect(await world.sent(keen, templateIds)).toEqual([
      'pricing_document 2026-04-05T01:00:00.000Z',
      'demo_follow_up 2026-04-07T01:00:00.000Z',
    ]);
    expect(world.inbox('keen@example.jp')).toEqual(['料金詳細資料をお送りします', 'お見積もりとデモのご案内']);
    expect(world.inbox('casual@example.jp')).toEqual([]);
    const notes = await db
      .selectFrom('signals')
      .select(['contact_id', 'data', 'occurred_at'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'owner.notified')
      .execute();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ contact_id: keen, occurred_at: new Date('2026-04-05T01:00:00Z') });
    expect((notes[0]!.data as { owner: string; message: string }).message).toMatch(/^山田（.+）が料金ページを30日以内に3回閲覧しました。/);
    expect((notes[0]!.data as { owner: string }).owner).toBe('sato@sales.example.jp');
    const enrolments = await db
      .selectFrom('journey_enrolments')
      .select(['contact_id', 'status'])
      .where('journey_id', '=', journeyId)
      .execute();
    expect(enrolments).toEqual([{ contact_id: keen, status: 'completed' }]);
    const doc = mail.sink.list({ workspaceId }).find((m) => m.subject === '料金詳細資料をお送りします')!;
    expect(doc.text).toContain('pricing-2026.pdf');
  });
});
